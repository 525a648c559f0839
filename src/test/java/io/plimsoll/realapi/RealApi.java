package io.plimsoll.realapi;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Gives the test class its own real API server ({@link RealApiServer}), started before the class's first test and
 * stopped after its last. Inject it as a {@code RealApiServer} parameter of {@code @BeforeAll}, {@code @Test} or
 * constructor methods. Classes never share a server (nodes and the Lease are cluster or namespace wide).
 * Skipped, with one line on stderr saying why, when no kube-apiserver can run on this machine.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RealApiExtension.class)
@Tag("real-api")
public @interface RealApi {
    /** helm {@code --set} values for rendering the chart's RBAC, as "key=value" (true/false become booleans). */
    String[] set() default {};
}
