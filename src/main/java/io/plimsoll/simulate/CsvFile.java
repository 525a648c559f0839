package io.plimsoll.simulate;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/** A small CSV reader for the openb files (no quoting), plain or .gz, with file/line/field error reporting. */
public final class CsvFile {
    private final String file;
    private final Map<String, Integer> columns = new HashMap<>();
    private final List<String[]> rows = new ArrayList<>();
    private final List<Integer> lines = new ArrayList<>();

    private CsvFile(String file) {
        this.file = file;
    }

    public static CsvFile read(Path path) throws InputException {
        String name = path.toString();
        CsvFile csv = new CsvFile(name);
        if (!Files.isRegularFile(path)) {
            throw new InputException(name, 0, null, "cannot read file (does not exist or is not a regular file). "
                    + "Fix: pass an existing CSV file path.");
        }
        try (InputStream raw = Files.newInputStream(path);
             InputStream in = name.endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16)) {
            String header = r.readLine();
            if (header == null) {
                throw new InputException(name, 1, null, "file is empty, expected a header line. Fix: add the CSV header.");
            }
            if (header.startsWith("\uFEFF")) header = header.substring(1);
            String[] h = header.split(",", -1);
            for (int i = 0; i < h.length; i++) csv.columns.putIfAbsent(h[i].trim(), i);
            String line;
            int no = 1;
            while ((line = r.readLine()) != null) {
                no++;
                if (line.isBlank()) continue;
                if (line.endsWith("\r")) line = line.substring(0, line.length() - 1);
                csv.rows.add(line.split(",", -1));
                csv.lines.add(no);
            }
        } catch (IOException e) {
            throw new InputException(name, 0, null, "cannot read file: " + e.getMessage()
                    + ". Fix: check the path, permissions and (for .gz) that the file is gzip-compressed.");
        }
        return csv;
    }

    public String file() { return file; }
    public int size() { return rows.size(); }
    public int lineOf(int row) { return lines.get(row); }
    public boolean has(String column) { return columns.containsKey(column); }

    public void require(String... names) throws InputException {
        for (String n : names) {
            if (!columns.containsKey(n)) {
                throw new InputException(file, 1, n, "missing column in header. Fix: add a '" + n
                        + "' column (header has: " + String.join(",", headerNames()) + ").");
            }
        }
    }

    private List<String> headerNames() {
        String[] names = new String[columns.size()];
        columns.forEach((k, v) -> { if (v < names.length) names[v] = k; });
        List<String> out = new ArrayList<>();
        for (String s : names) if (s != null) out.add(s);
        return out;
    }

    /** Raw string value; empty string if the row is short and the column optional. */
    public String str(int row, String column) throws InputException {
        Integer c = columns.get(column);
        if (c == null) return "";
        String[] r = rows.get(row);
        if (c >= r.length) {
            throw new InputException(file, lines.get(row), column, "row has " + r.length + " fields, expected at least "
                    + (c + 1) + ". Fix: give every row as many comma-separated fields as the header.");
        }
        return r[c].trim();
    }

    /** Non-negative integer value. */
    public long nonNegLong(int row, String column) throws InputException {
        String s = str(row, column);
        long v;
        try {
            v = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new InputException(file, lines.get(row), column, "'" + s + "' is not an integer. Fix: write a whole number.");
        }
        if (v < 0) {
            throw new InputException(file, lines.get(row), column, "negative value " + v
                    + ". Fix: requests and capacities must be >= 0.");
        }
        return v;
    }

    public int nonNegInt(int row, String column) throws InputException {
        long v = nonNegLong(row, column);
        if (v > Integer.MAX_VALUE) {
            throw new InputException(file, lines.get(row), column, "value " + v + " is too large. Fix: use a value below "
                    + Integer.MAX_VALUE + ".");
        }
        return (int) v;
    }
}
