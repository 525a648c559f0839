package io.plimsoll.simulate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.plimsoll.engine.packing.TaskShape;
import io.plimsoll.simulate.serving.ServingTrace;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvFileTest {
    @TempDir
    Path tmp;

    record Row(int line, String name, String note, long value) {}

    private Path write(String name, String content) throws Exception {
        Path p = tmp.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    private static List<Row> rows(Path file) throws InputException {
        List<Row> out = new ArrayList<>();
        CsvFile.read(file, List.of("name", "value"), csv ->
                out.add(new Row(csv.line(), csv.str("name"), csv.str("note"), csv.nonNegLong("value"))));
        return out;
    }

    /** The one-line message {@link #rows} fails with on {@code file}. */
    private static String error(Path file) {
        return assertThrows(InputException.class, () -> rows(file)).describe();
    }

    private static final String QUOTED = "\uFEFFname, note ,value\r\n"
            + "p1,\"a, \"\"quoted\"\" note\",3\r\n"
            + "\r\n"
            + "  \n"
            + "p2,\"two\nlines\",4\r\n"
            + " \"p3\" , plain ,5\n";

    private static final List<Row> EXPECTED = List.of(
            new Row(2, "p1", "a, \"quoted\" note", 3),
            new Row(5, "p2", "two\nlines", 4),
            new Row(7, "p3", "plain", 5));

    @Test
    void quotedFieldsBomCrlfAndBlankLines() throws Exception {
        assertEquals(EXPECTED, rows(write("q.csv", QUOTED)));
    }

    @Test
    void gzipIsUnpacked() throws Exception {
        Path gz = tmp.resolve("q.csv.gz");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(gz))) {
            o.write(QUOTED.getBytes(StandardCharsets.UTF_8));
        }
        assertEquals(EXPECTED, rows(gz));
    }

    @Test
    void badValueNamesFileLineAndField() throws Exception {
        // the quoted line break makes the bad row start on line 4 of the file
        Path f = write("bad.csv", "name,note,value\np1,\"x\ny\",1\np2,\"a, b\",-7\n");
        assertEquals(f + ":4: field 'value': negative value -7. Fix: requests and capacities must be >= 0.", error(f));
        Path g = write("word.csv", "name,value\np1,\"1,5\"\n");
        assertEquals(g + ":2: field 'value': '1,5' is not an integer. Fix: write a whole number.", error(g));
    }

    @Test
    void structuralErrorsNameFileAndLine() throws Exception {
        Path shortRow = write("short.csv", "name,note,value\np1,x,1\np2,y\n");
        assertEquals(shortRow + ":3: field 'value': row has 2 fields, expected at least 3. Fix: give every row as many "
                + "comma-separated fields as the header.", error(shortRow));
        Path missing = write("missing.csv", "name,note\np1,x\n");
        assertEquals(missing + ":1: field 'value': missing column in header. Fix: add a 'value' column (header has: name,note).",
                error(missing));
        Path open = write("open.csv", "name,value\np1,1\np2,\"2\np3,3\n");
        assertEquals(open + ":3: malformed CSV: Missing closing quote for value. Fix: close every quoted field with a double "
                + "quote, and write a quote inside one as two (\"\").", error(open));
        Path empty = write("empty.csv", "\n");
        assertEquals(empty + ":1: file is empty, expected a header line. Fix: add the CSV header.", error(empty));
    }

    @Test
    void everyTraceReadsQuotedFields() throws Exception {
        Path pods = write("pods.csv", "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec\n"
                + "\"pod, one\",1000,10,1,500,\"T4|P100\"\n");
        TaskShape t = TraceLoader.loadPods(pods, TraceLoader.KNOWN_MODELS).get(0);
        assertEquals(List.of("pod, one", 1000, 10L, 1, 500, "T4|P100"),
                List.of(t.name(), t.cpuMilli(), t.memMib(), t.numGpu(), t.gpuMilli(), t.gpuSpec()));
        Path requests = write("requests.csv", "gmt_create,predict_type,exec_time_seconds,checkpoint_model_version_id\n"
                + "2024-11-15 16:57:50,\"TXT, \"\"fast\"\"\",32.0,M0000\n");
        ServingTrace s = ServingTrace.load(requests, Long.MIN_VALUE, Long.MAX_VALUE);
        assertEquals(List.of(new ServingTrace.Request(1731689870000L, 32_000, 0)), s.requests());
        assertEquals(Set.of("M0000"), Set.copyOf(s.models()));
    }
}
