package io.plimsoll.simulate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.csv.CsvFactory;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PushbackReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * The one CSV reader of the offline replays (openb node, pod, sequence and rank files; GenAI request, load-latency and
 * duty-cycle files), on Jackson's CSV parser: a header row, then rows streamed one at a time to a handler. Fields may be
 * quoted (commas, line breaks and doubled quotes inside double quotes); files may be plain or {@code .gz}, UTF-8 with
 * or without a BOM, with LF or CRLF line ends; blank lines are skipped; spaces around a field are dropped. Every
 * problem is an {@link InputException} naming the file, the line (where the row starts) and the field, with a fix.
 *
 * <p>The handler gets this reader positioned on the current row; it must not keep it beyond the call.
 */
public final class CsvFile {
    @FunctionalInterface
    public interface RowHandler {
        void row(CsvFile row) throws InputException;
    }

    private static final CsvFactory CSV = CsvFactory.builder().enable(CsvParser.Feature.TRIM_SPACES).build();

    private final String file;
    private final Map<String, Integer> columns = new HashMap<>();
    private final List<String> header = new ArrayList<>();
    private final List<String> cells = new ArrayList<>();
    private int line = 1;

    private CsvFile(String file) {
        this.file = file;
    }

    /** Reads the header (which must name every {@code required} column), then hands each row to {@code handler}. */
    public static void read(Path path, List<String> required, RowHandler handler) throws InputException {
        String name = path.toString();
        if (!Files.isRegularFile(path)) {
            throw new InputException(name, 0, null, "cannot read file (does not exist or is not a regular file). "
                    + "Fix: pass an existing CSV file path.");
        }
        CsvFile csv = new CsvFile(name);
        try (InputStream raw = Files.newInputStream(path);
             InputStream in = name.endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
             PushbackReader text = new PushbackReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1);
             CsvParser parser = (CsvParser) CSV.createParser(text)) {
            int first = text.read();
            if (first >= 0 && first != '\uFEFF') text.unread(first);
            if (!csv.next(parser)) {
                throw new InputException(name, 1, null, "file is empty, expected a header line. Fix: add the CSV header.");
            }
            csv.readHeader();
            csv.require(required);
            while (csv.next(parser)) handler.row(csv);
        } catch (JsonProcessingException e) {
            throw new InputException(name, csv.line, null, "malformed CSV: " + e.getOriginalMessage()
                    + ". Fix: close every quoted field with a double quote, and write a quote inside one as two (\"\").");
        } catch (IOException e) {
            throw new InputException(name, 0, null, "cannot read file: " + e.getMessage()
                    + ". Fix: check the path, permissions and (for .gz) that the file is gzip-compressed.");
        }
    }

    /** Moves to the next non-blank row; false at the end of the file. */
    private boolean next(CsvParser parser) throws IOException {
        while (parser.nextToken() == JsonToken.START_ARRAY) {
            line = parser.currentLocation().getLineNr();
            cells.clear();
            while (parser.nextToken() == JsonToken.VALUE_STRING) cells.add(parser.getText());
            if (cells.size() != 1 || !cells.get(0).isBlank()) return true;
        }
        return false;
    }

    private void readHeader() {
        for (int i = 0; i < cells.size(); i++) {
            String h = cells.get(i).trim();
            header.add(h);
            columns.putIfAbsent(h, i);
        }
    }

    private void require(List<String> names) throws InputException {
        for (String n : names) {
            if (!columns.containsKey(n)) {
                throw new InputException(file, 1, n, "missing column in header. Fix: add a '" + n
                        + "' column (header has: " + String.join(",", header) + ").");
            }
        }
    }

    public String file() { return file; }

    /** Line of the file where the current row starts (1 = the header). */
    public int line() { return line; }

    /** Whether the header has this column. */
    public boolean has(String column) { return columns.containsKey(column); }

    /** The problem {@code message} at the current row, in {@code column}. */
    public InputException bad(String column, String message) { return new InputException(file, line, column, message); }

    /** The trimmed value; empty if the header has no such column. */
    public String str(String column) throws InputException {
        Integer c = columns.get(column);
        if (c == null) return "";
        if (c >= cells.size()) {
            throw bad(column, "row has " + cells.size() + " fields, expected at least " + (c + 1)
                    + ". Fix: give every row as many comma-separated fields as the header.");
        }
        return cells.get(c).trim();
    }

    /** Non-negative integer value. */
    public long nonNegLong(String column) throws InputException {
        String s = str(column);
        long v;
        try {
            v = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw bad(column, "'" + s + "' is not an integer. Fix: write a whole number.");
        }
        if (v < 0) throw bad(column, "negative value " + v + ". Fix: requests and capacities must be >= 0.");
        return v;
    }

    public int nonNegInt(String column) throws InputException {
        long v = nonNegLong(column);
        if (v > Integer.MAX_VALUE) {
            throw bad(column, "value " + v + " is too large. Fix: use a value below " + Integer.MAX_VALUE + ".");
        }
        return (int) v;
    }

    /** A finite decimal number. */
    public double finiteDouble(String column) throws InputException {
        String s = str(column);
        if (s.isEmpty()) throw bad(column, "empty value");
        double v;
        try {
            v = Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw bad(column, "not a number: '" + s + "'");
        }
        if (Double.isNaN(v) || Double.isInfinite(v)) throw bad(column, "not a finite number: '" + s + "'");
        return v;
    }
}
