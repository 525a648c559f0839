package io.plimsoll.engine.idle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class IdlePoliciesTest {
    static final long S = 1000, M = 60_000, H = 3_600_000;

    /** A model whose requests each run 10 s and are separated by idle gaps of {@code gapMs}. */
    static ModelActivity history(int requests, long gapMs) {
        ModelActivity a = new ModelActivity();
        long t = 0;
        for (int i = 0; i < requests; i++) {
            a.onRequest(t);
            a.onStart(t);
            a.onFinish(t + 10 * S);
            t += 10 * S + gapMs;
        }
        return a;
    }

    @Test
    void fixedKeepAliveExpires() {
        FixedKeepAlive ka = new FixedKeepAlive(Duration.ofMinutes(5));
        ModelActivity a = history(1, 0); // idle since 10 s
        Decision d = ka.decide(a, 10 * S + 4 * M);
        assertEquals(Action.KEEP, d.action());
        assertEquals(10 * S + 5 * M, d.recheckAtMillis());
        assertEquals(Action.KEEP, ka.decide(a, 10 * S + 5 * M - 1).action());
        assertEquals(Action.SCALE_TO_ZERO, ka.decide(a, 10 * S + 5 * M).action());
        assertEquals("keep-alive 5m", ka.name());
    }

    @Test
    void noDataAlwaysKeeps() {
        IdlePolicy[] all = {new FixedKeepAlive(Duration.ofSeconds(90)), new AdaptiveKeepAlive(), new AlwaysOn(),
                IdleDefaults.forKind(IdleDefaults.WorkloadKind.WORKBENCH)};
        for (IdlePolicy p : all) {
            assertEquals(Action.KEEP, p.decide(null, 100 * H).action(), p.name() + " null history");
            assertEquals(Action.KEEP, p.decide(new ModelActivity(), 100 * H).action(), p.name() + " never seen a request");
            assertEquals(Action.KEEP, p.decide(null, 0, 100 * H).action(), p.name() + " null history (replica)");
            ModelActivity lost = history(3, 30 * M);
            lost.markSignalLost();
            assertEquals(Action.KEEP, lost.hasData() ? Action.SCALE_TO_ZERO : Action.KEEP);
            assertEquals(Action.KEEP, p.decide(lost, 100 * H).action(), p.name() + " signal lost");
            assertEquals(Action.KEEP, p.decide(lost, 0, 100 * H).action(), p.name() + " signal lost (replica)");
            // an idle start in the future (clock skew) is not evidence of idleness either
            assertEquals(Action.KEEP, p.decide(history(3, M), 200 * H, 100 * H).action(), p.name() + " future idle start");
        }
        // the signal comes back with the next request
        ModelActivity lost = history(3, 30 * M);
        lost.markSignalLost();
        lost.onRequest(10 * H);
        lost.onStart(10 * H);
        lost.onFinish(10 * H + S);
        assertTrue(lost.hasData());
        assertEquals(Action.SCALE_TO_ZERO, new FixedKeepAlive(Duration.ofMinutes(1)).decide(lost, 11 * H).action());
    }

    @Test
    void busyWorkloadIsKept() {
        ModelActivity a = history(2, M);
        a.onRequest(5 * H);
        a.onStart(5 * H);
        assertEquals(Action.KEEP, new FixedKeepAlive(Duration.ofSeconds(1)).decide(a, 9 * H).action());
    }

    @Test
    void alwaysOnAndWorkloadDefaults() {
        ModelActivity a = history(2, M);
        assertEquals(Action.KEEP, new AlwaysOn().decide(a, 1000 * H).action());
        IdlePolicy wb = IdleDefaults.forKind(IdleDefaults.WorkloadKind.WORKBENCH);
        long idle = a.idleSinceMillis();
        assertEquals(Action.KEEP, wb.decide(a, idle + 59 * M).action());
        assertEquals(Action.SCALE_TO_ZERO, wb.decide(a, idle + 60 * M).action());
        assertEquals(Action.KEEP, IdleDefaults.forKind(IdleDefaults.WorkloadKind.TRAINING).decide(a, idle + 1000 * H).action());
        assertEquals(Action.KEEP, IdleDefaults.forKind(IdleDefaults.WorkloadKind.OPTIMIZATION).decide(a, idle + 1000 * H).action());
        assertTrue(IdleDefaults.forKind(IdleDefaults.WorkloadKind.INFERENCE) instanceof AdaptiveKeepAlive);
    }

    @Test
    void adaptiveParksFrequentModelUntilItsNextRequestIsLikely() {
        AdaptiveKeepAlive p = new AdaptiveKeepAlive();
        ModelActivity a = history(30, 20 * M); // always 20 min idle between requests
        long h = p.horizonMillis(a);
        assertTrue(h >= 20 * M && h <= 30 * M, "horizon covers the 20-min gaps: " + h);
        long idle = a.idleSinceMillis();
        assertEquals(Action.KEEP, p.decide(a, idle + 5 * S).action(), "warm window");
        Decision d = p.decide(a, idle + 2 * M);
        assertEquals(Action.PARK, d.action());
        assertEquals(idle + h, d.recheckAtMillis());
        assertEquals(Action.PARK, p.decide(a, idle + 19 * M).action());
        assertEquals(Action.SCALE_TO_ZERO, p.decide(a, idle + h).action());
    }

    @Test
    void adaptiveDropsModelWhoseGapsAreHours() {
        AdaptiveKeepAlive p = new AdaptiveKeepAlive();
        ModelActivity a = history(30, 6 * H); // parking 6 h to save one cold start costs more than the cold start
        long h = p.horizonMillis(a);
        assertTrue(h <= 5 * M, "short horizon: " + h);
        assertEquals(Action.SCALE_TO_ZERO, p.decide(a, a.idleSinceMillis() + 10 * M).action());
        // while a fixed 15-min keep-alive would still hold a whole GPU
        assertEquals(Action.KEEP, new FixedKeepAlive(Duration.ofMinutes(15)).decide(a, a.idleSinceMillis() + 10 * M).action());
    }

    @Test
    void adaptiveUsesDefaultHorizonUntilItHasSeenEnough() {
        AdaptiveKeepAlive p = new AdaptiveKeepAlive();
        ModelActivity a = history(2, 6 * H);
        assertEquals(AdaptiveKeepAlive.DEFAULTS.defaultHorizonMillis(), p.horizonMillis(a));
    }

    @Test
    void adaptiveLearnsFromThePastOnly() {
        AdaptiveKeepAlive p = new AdaptiveKeepAlive();
        ModelActivity a = history(30, 6 * H);
        long before = p.horizonMillis(a);
        // new behaviour: many short gaps; the horizon follows, the old decisions were made without them
        long t = a.idleSinceMillis();
        for (int i = 0; i < 200; i++) {
            t += 10 * M;
            a.onRequest(t);
            a.onStart(t);
            a.onFinish(t + 10 * S);
            t += 10 * S;
        }
        long after = p.horizonMillis(a);
        assertTrue(after > before && after >= 10 * M, before + " -> " + after);
    }

    @Test
    void extraReplicasAreDroppedSooner() {
        AdaptiveKeepAlive p = new AdaptiveKeepAlive();
        ModelActivity a = history(30, 20 * M);
        long idle = a.idleSinceMillis();
        assertEquals(Action.PARK, p.decide(a, idle, idle + 11 * M).action());
        assertEquals(Action.SCALE_TO_ZERO, p.decideExtra(a, idle, idle + 11 * M).action());
        assertEquals(Action.PARK, p.decideExtra(a, idle, idle + 9 * M).action());
    }

    @Test
    void paramsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new AdaptiveKeepAlive.Params(60_000, 0, 1, 60_000, 60_000, 60_000, 1));
    }
}
