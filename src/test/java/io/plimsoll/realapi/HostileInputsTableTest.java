package io.plimsoll.realapi;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/hostile-inputs.md and {@link HostileInputsTest} stay in step: every case id of the corpus has a row in the
 * table, every row is a case of the corpus, and no id is used twice. Needs no API server.
 */
class HostileInputsTableTest {
    static final Path TABLE = Path.of("docs/hostile-inputs.md");
    static final Pattern ROW = Pattern.compile("^\\|\\s*(H\\d{2})\\s*\\|", Pattern.MULTILINE);

    @Test
    void everyCaseHasARowAndEveryRowACase() throws IOException {
        List<String> ids = HostileInputsTest.caseIds();
        assertEquals(ids.size(), new LinkedHashSet<>(ids).size(), "a case id is used twice: " + ids);
        assertTrue(ids.size() >= 40, "at least 40 cases: " + ids.size());
        String doc = Files.readString(TABLE);
        List<String> rows = new ArrayList<>();
        Matcher m = ROW.matcher(doc);
        while (m.find()) rows.add(m.group(1));
        assertEquals(rows.size(), new LinkedHashSet<>(rows).size(), TABLE + " has a row twice: " + rows);
        Set<String> missing = new LinkedHashSet<>(ids);
        missing.removeAll(rows);
        assertEquals(Set.of(), missing, "cases of HostileInputsTest without a row in " + TABLE);
        Set<String> extra = new LinkedHashSet<>(rows);
        extra.removeAll(ids);
        assertEquals(Set.of(), extra, "rows of " + TABLE + " without a case in HostileInputsTest");
    }
}
