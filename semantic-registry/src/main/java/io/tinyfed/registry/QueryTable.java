package io.tinyfed.registry;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.jena.query.QuerySolution;
import org.apache.jena.query.ResultSetFormatter;
import org.apache.jena.query.ResultSetRewindable;
import org.apache.jena.rdf.model.RDFNode;

/**
 * The answer to a SELECT query, detached from the store (safe to keep after the transaction).
 * Values are IRIs or lexical forms; a missing binding is absent from its row map.
 */
public final class QueryTable {
    private final ResultSetRewindable results;
    private final List<String> vars;
    private final List<Map<String, String>> rows = new ArrayList<>();

    /** Takes over a rewindable copy of a result set. */
    public static QueryTable of(ResultSetRewindable results) {
        return new QueryTable(results);
    }

    /**
     * A table of {@code rows} (values by column name; a missing value is unbound) with columns {@code vars}, written
     * in the same formats as a query's results.
     */
    public static QueryTable of(List<String> vars, List<Map<String, String>> rows) {
        List<org.apache.jena.sparql.core.Var> columns = vars.stream().map(org.apache.jena.sparql.core.Var::alloc).toList();
        List<org.apache.jena.sparql.engine.binding.Binding> bindings = new ArrayList<>();
        for (Map<String, String> row : rows) {
            org.apache.jena.sparql.engine.binding.BindingBuilder b = org.apache.jena.sparql.engine.binding.Binding.builder();
            row.forEach((k, v) -> {
                if (v != null) {
                    b.add(org.apache.jena.sparql.core.Var.alloc(k), org.apache.jena.graph.NodeFactory.createLiteralString(v));
                }
            });
            bindings.add(b.build());
        }
        return new QueryTable(org.apache.jena.query.ResultSetFactory.makeRewindable(org.apache.jena.query.ResultSet.adapt(
                org.apache.jena.sparql.exec.RowSetStream.create(columns, bindings.iterator()))));
    }

    private QueryTable(ResultSetRewindable results) {
        this.results = results;
        this.vars = List.copyOf(results.getResultVars());
        while (results.hasNext()) {
            QuerySolution s = results.next();
            Map<String, String> row = new LinkedHashMap<>();
            for (String v : vars) {
                RDFNode n = s.get(v);
                if (n != null) {
                    row.put(v, n.isLiteral() ? n.asLiteral().getLexicalForm() : n.toString());
                }
            }
            rows.add(row);
        }
        results.reset();
    }

    public List<String> vars() {
        return vars;
    }

    public List<Map<String, String>> rows() {
        return rows;
    }

    public int size() {
        return rows.size();
    }

    /** Writes the table as SPARQL results: {@code json}, {@code xml}, {@code csv}, {@code tsv} or {@code table} (text). */
    public void write(OutputStream out, String format) {
        results.reset();
        switch (format) {
            case "json" -> ResultSetFormatter.outputAsJSON(out, results);
            case "xml" -> ResultSetFormatter.outputAsXML(out, results);
            case "csv" -> ResultSetFormatter.outputAsCSV(out, results);
            case "tsv" -> ResultSetFormatter.outputAsTSV(out, results);
            case "table" -> ResultSetFormatter.out(out, results);
            default -> throw new IllegalArgumentException("unknown result format '" + format + "' (json, xml, csv, tsv, table)");
        }
        results.reset();
    }

    /** The text table, as {@code ./tinyfed registry query --format table} prints it. */
    @Override
    public String toString() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        write(out, "table");
        return out.toString(StandardCharsets.UTF_8);
    }
}
