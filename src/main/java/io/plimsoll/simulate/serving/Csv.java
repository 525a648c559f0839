package io.plimsoll.simulate.serving;

import io.plimsoll.simulate.InputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/** Minimal CSV reader (comma-separated, no quoting, as in the GenAI trace files); {@code .gz} is unpacked. */
final class Csv implements AutoCloseable {
    interface RowHandler { void row(Csv csv) throws InputException; }

    private final String file;
    private final BufferedReader in;
    private final Map<String, Integer> columns = new HashMap<>();
    private String[] cells;
    private int line;

    private Csv(String file, BufferedReader in) { this.file = file; this.in = in; }

    static void read(Path path, String[] required, RowHandler handler) throws InputException {
        String name = path.toString();
        if (!Files.isReadable(path) || Files.isDirectory(path)) {
            throw new InputException(name, 0, null, "cannot read file (missing or not readable)");
        }
        try (InputStream raw = Files.newInputStream(path);
             InputStream is = name.endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
             Csv csv = new Csv(name, new BufferedReader(new InputStreamReader(is, StandardCharsets.UTF_8), 1 << 16))) {
            String header = csv.in.readLine();
            csv.line = 1;
            if (header == null) throw new InputException(name, 1, null, "empty file (no header line)");
            if (header.startsWith("\uFEFF")) header = header.substring(1);
            String[] h = header.split(",", -1);
            for (int i = 0; i < h.length; i++) csv.columns.putIfAbsent(h[i].trim(), i);
            for (String r : required) {
                if (!csv.columns.containsKey(r)) {
                    throw new InputException(name, 1, r, "required column missing from header");
                }
            }
            String l;
            while ((l = csv.in.readLine()) != null) {
                csv.line++;
                if (l.isBlank()) continue;
                csv.cells = l.split(",", -1);
                handler.row(csv);
            }
        } catch (IOException e) {
            throw new InputException(name, 0, null, "cannot read file: " + e.getMessage());
        }
    }

    String file() { return file; }
    int line() { return line; }

    boolean has(String column) { Integer i = columns.get(column); return i != null && i < cells.length; }

    String get(String column) throws InputException {
        int i = columns.get(column);
        if (i >= cells.length) throw bad(column, "missing value (row has " + cells.length + " fields)");
        return cells[i].trim();
    }

    double getDouble(String column) throws InputException {
        String s = get(column);
        if (s.isEmpty()) throw bad(column, "empty value");
        try {
            double v = Double.parseDouble(s);
            if (Double.isNaN(v) || Double.isInfinite(v)) throw bad(column, "not a finite number: '" + s + "'");
            return v;
        } catch (NumberFormatException e) {
            throw bad(column, "not a number: '" + s + "'");
        }
    }

    InputException bad(String column, String msg) { return new InputException(file, line, column, msg); }

    @Override public void close() throws IOException { in.close(); }
}
