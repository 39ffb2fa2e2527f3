package io.tinyfed.registry.internal;

import io.tinyfed.registry.InvalidDescriptionException;
import java.util.stream.Collectors;
import org.apache.jena.rdf.model.Model;
import org.apache.jena.shacl.ShaclValidator;
import org.apache.jena.shacl.Shapes;
import org.apache.jena.shacl.ValidationReport;
import org.apache.jena.shacl.validation.ReportEntry;

/** Validates descriptions against the registry's shapes ({@code shapes.ttl}) before anything is written. */
public final class ShapeValidator {
    private static final Shapes SHAPES = Shapes.parse(Resources.turtle("shapes.ttl").getGraph());

    private ShapeValidator() {
    }

    /** @throws InvalidDescriptionException with one line per violation if {@code data} does not conform */
    public static void check(String what, Model data) {
        ValidationReport report = ShaclValidator.get().validate(SHAPES, data.getGraph());
        if (!report.conforms()) {
            throw new InvalidDescriptionException(what, describe(report));
        }
    }

    static String describe(ValidationReport report) {
        return report.getEntries().stream().map(ShapeValidator::line).sorted().collect(Collectors.joining("\n"));
    }

    private static String line(ReportEntry e) {
        String path = e.resultPath() == null ? "" : " " + e.resultPath();
        String value = e.value() == null ? "" : " (value " + e.value() + ")";
        return "  " + e.focusNode() + path + ": " + e.message() + value;
    }
}
