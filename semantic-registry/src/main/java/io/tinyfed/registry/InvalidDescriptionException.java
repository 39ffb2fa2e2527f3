package io.tinyfed.registry;

/**
 * A description that is not well-formed RDF or does not conform to the registry's SHACL shapes.
 * {@link #report()} is the validation report (Turtle-ish text, one line per violation) or the
 * parser's message; nothing was written.
 */
public final class InvalidDescriptionException extends RegistryException {
    private final String report;

    public InvalidDescriptionException(String what, String report) {
        super(what + " refused:\n" + report);
        this.report = report;
    }

    public String report() {
        return report;
    }
}
