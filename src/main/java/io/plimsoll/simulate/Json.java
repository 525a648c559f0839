package io.plimsoll.simulate;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.PrettyPrinter;
import com.fasterxml.jackson.core.util.Instantiatable;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.Locale;

/**
 * The {@code --json} output of {@code simulate} and {@code simulate serving}, written by Jackson from maps, lists and
 * numbers. Two-space indentation, {@code "key": value}; objects nested {@code inlineFrom} levels deep or more are
 * written on one line with all they contain, so a curve point or a policy's figures is one line. A double prints as
 * Java prints it, without exponent, {@code .0} on whole numbers, and {@code null} if it is NaN or infinite;
 * {@link #fixed} gives a number with a set count of decimals.
 */
public final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new SimpleModule("plimsoll-simulate").addSerializer(Double.class, new DoubleText()))
            .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);

    private Json() {}

    /** {@code value} as JSON, objects from depth 3 on one line, with a final newline. */
    public static String write(Object value) throws IOException {
        return write(value, 3);
    }

    /** {@code value} as JSON, objects from depth {@code inlineFrom} (the root is depth 0) on one line, with a final newline. */
    public static String write(Object value, int inlineFrom) throws IOException {
        return MAPPER.writer(new Layout(inlineFrom)).writeValueAsString(value) + "\n";
    }

    /** {@code v} with exactly {@code places} decimals, as {@code %.Nf} prints it; null if it is NaN or infinite. */
    public static BigDecimal fixed(double v, int places) {
        if (Double.isNaN(v) || Double.isInfinite(v)) return null;
        return new BigDecimal(String.format(Locale.ROOT, "%." + places + "f", v));
    }

    private static final class DoubleText extends StdSerializer<Double> {
        DoubleText() { super(Double.class); }

        @Override
        public void serialize(Double d, JsonGenerator g, SerializerProvider p) throws IOException {
            if (d.isNaN() || d.isInfinite()) g.writeNull();
            else if (d == Math.rint(d) && Math.abs(d) < 1e15) g.writeNumber(String.format(Locale.ROOT, "%.1f", d));
            else {
                String s = Double.toString(d);
                g.writeNumber(s.contains("E") ? new BigDecimal(s).toPlainString() : s);
            }
        }
    }

    /** The layout described on the class; one instance per document (Jackson copies it through createInstance). */
    private static final class Layout implements PrettyPrinter, Instantiatable<Layout> {
        private final int inlineFrom;
        private int depth;           // containers open
        private int inlineAt = -1;   // depth of the object being written on one line, -1 if none

        Layout(int inlineFrom) { this.inlineFrom = inlineFrom; }

        @Override public Layout createInstance() { return new Layout(inlineFrom); }

        private void newline(JsonGenerator g) throws IOException {
            if (inlineAt >= 0) return;
            g.writeRaw('\n');
            for (int i = 0; i < depth; i++) g.writeRaw("  ");
        }

        private void separator(JsonGenerator g) throws IOException {
            g.writeRaw(',');
            if (inlineAt >= 0) g.writeRaw(' ');
            else newline(g);
        }

        private void close(JsonGenerator g, int entries, char bracket) throws IOException {
            depth--;
            if (entries > 0) newline(g);
            g.writeRaw(bracket);
            if (inlineAt == depth) inlineAt = -1;
        }

        @Override public void writeRootValueSeparator(JsonGenerator g) throws IOException { g.writeRaw('\n'); }

        @Override
        public void writeStartObject(JsonGenerator g) throws IOException {
            if (inlineAt < 0 && depth >= inlineFrom) inlineAt = depth;
            g.writeRaw('{');
            depth++;
        }

        @Override public void beforeObjectEntries(JsonGenerator g) throws IOException { newline(g); }
        @Override public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException { g.writeRaw(": "); }
        @Override public void writeObjectEntrySeparator(JsonGenerator g) throws IOException { separator(g); }
        @Override public void writeEndObject(JsonGenerator g, int entries) throws IOException { close(g, entries, '}'); }

        @Override
        public void writeStartArray(JsonGenerator g) throws IOException {
            g.writeRaw('[');
            depth++;
        }

        @Override public void beforeArrayValues(JsonGenerator g) throws IOException { newline(g); }
        @Override public void writeArrayValueSeparator(JsonGenerator g) throws IOException { separator(g); }
        @Override public void writeEndArray(JsonGenerator g, int values) throws IOException { close(g, values, ']'); }
    }
}
