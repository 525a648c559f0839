package io.plimsoll.cli;

import io.javaoperatorsdk.operator.Operator;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Starts the controllers when the application starts. QOSDK only does this itself when the application has no
 * QuarkusApplication of its own, and Plimsoll has one per mode (operator, sandbox).
 */
@ApplicationScoped
public class OperatorStarter {
    private static final Logger LOG = Logger.getLogger(OperatorStarter.class);

    void onStart(@Observes StartupEvent event, Operator operator,
                 @ConfigProperty(name = "plimsoll.start-operator", defaultValue = "true") boolean start) {
        if (!start) {
            LOG.info("plimsoll.start-operator=false: controllers not started");
            return;
        }
        LOG.infof("Starting Plimsoll with %d controllers", operator.getRegisteredControllersNumber());
        operator.start();
    }

    void onStop(@Observes ShutdownEvent event, Operator operator) {
        operator.stop();
    }
}
