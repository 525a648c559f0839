package io.plimsoll.simulate.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DutyCycleReportTest {
    @Test
    void idleStretchesByHand(@TempDir Path dir) throws Exception {
        // pod a: 10 zero samples (570 s), one busy, 3 zeros (171 s); pod b: 6 zeros, a 1-hour hole, 6 zeros
        StringBuilder b = new StringBuilder("value,timestamp_anon,container_ip\n");
        long t = 1000;
        for (int i = 0; i < 10; i++) b.append("0.0,").append(t + 57L * i).append(".0,a\n");
        b.append("35.0,").append(t + 570).append(".0,a\n");
        for (int i = 0; i < 3; i++) b.append("0,").append(t + 627 + 57L * i).append(",a\n");
        for (int i = 0; i < 6; i++) b.append("0,").append(t + 57L * i).append(",b\n");
        for (int i = 0; i < 6; i++) b.append("0,").append(t + 3600 + 57L * i).append(",b\n");
        Path f = dir.resolve("d.csv");
        Files.writeString(f, b.toString());
        DutyCycleReport.Result r = DutyCycleReport.compute(f, new long[] {300_000, 600_000});
        assertEquals(2, r.pods());
        assertEquals(26, r.samples());
        // > 5 min: pod a's 570 s and pod b's two 342 s stretches (the hole splits them, it is not idle)
        assertEquals(3, r.rows().get(0).stretches());
        assertEquals((570 + 342 + 342) / 3600.0, r.rows().get(0).gpuHoursInStretches(), 1e-9);
        assertEquals((270 + 42 + 42) / 3600.0, r.rows().get(0).reclaimableGpuHours(), 1e-9);
        assertEquals(0, r.rows().get(1).stretches());
        assertEquals(25 * 57 / 3600.0, r.zeroGpuHours(), 1e-9);
    }
}
