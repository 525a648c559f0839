package io.plimsoll.cli;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;

/** The operator itself: QOSDK starts the controllers at startup; this waits until asked to stop. */
public class OperatorApplication implements QuarkusApplication {
    @Override
    public int run(String... args) {
        Quarkus.waitForExit();
        return 0;
    }
}
