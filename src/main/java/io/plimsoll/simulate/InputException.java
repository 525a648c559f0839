package io.plimsoll.simulate;

/** Bad input: names the file, the line (1-based, 0 if not applicable), the field and how to fix it. */
public final class InputException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String file;
    private final int line;
    private final String field;

    public InputException(String file, int line, String field, String message) {
        super(message);
        this.file = file;
        this.line = line;
        this.field = field;
    }

    public String file() { return file; }
    public int line() { return line; }
    public String field() { return field; }

    /** One-line human message: {@code file:line: field 'x': problem}. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        if (file != null) {
            sb.append(file);
            if (line > 0) sb.append(':').append(line);
            sb.append(": ");
        }
        if (field != null) sb.append("field '").append(field).append("': ");
        sb.append(getMessage());
        return sb.toString();
    }
}
