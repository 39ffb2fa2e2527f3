package io.tinyfed.registry;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.jena.query.ParameterizedSparqlString;

/**
 * Values for a query's variables, substituted before it runs (Jena's {@link ParameterizedSparqlString}, which
 * escapes what it inserts): {@code 5} and {@code -2} become integers, {@code 0.5} a double, {@code http(s)://...}
 * an IRI, anything else a string. A query names the parameters it needs in {@code # param: NAME ...} comment lines.
 */
public final class QueryParameters {
    private static final Pattern DECLARED = Pattern.compile("(?m)^#\\s*param:\\s*([A-Za-z_][A-Za-z0-9_]*)");
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private QueryParameters() {
    }

    /** The parameters {@code sparql} declares, in order. */
    public static Set<String> declared(String sparql) {
        Set<String> out = new LinkedHashSet<>();
        Matcher m = DECLARED.matcher(sparql);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /**
     * {@code sparql} with {@code values} substituted.
     *
     * @throws IllegalArgumentException naming a declared parameter without a value, or a value for an invalid name
     */
    public static String bind(String sparql, Map<String, String> values) {
        for (String name : declared(sparql)) {
            if (!values.containsKey(name)) {
                throw new IllegalArgumentException("the query needs --param " + name + "=VALUE");
            }
        }
        ParameterizedSparqlString q = new ParameterizedSparqlString(sparql);
        values.forEach((name, value) -> {
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("parameter name '" + name + "' is not a SPARQL variable name");
            }
            if (value.matches("-?\\d{1,18}")) {
                q.setLiteral(name, Long.parseLong(value));
            } else if (value.matches("-?\\d+\\.\\d+([eE]-?\\d+)?")) {
                q.setLiteral(name, Double.parseDouble(value));
            } else if (value.startsWith("http://") || value.startsWith("https://")) {
                q.setIri(name, value);
            } else {
                q.setLiteral(name, value);
            }
        });
        return q.toString();
    }
}
