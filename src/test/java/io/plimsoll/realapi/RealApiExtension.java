package io.plimsoll.realapi;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.util.LinkedHashMap;
import java.util.Map;

/** See {@link RealApi}: one server per test class, kept in the class's store and closed when the class ends. */
public final class RealApiExtension implements ExecutionCondition, BeforeAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(RealApiExtension.class);

    /** Skips the class (reported as skipped, with the reason) when no kube-apiserver can run here. */
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        String reason = RealApiServer.unavailableReason();
        return reason.isEmpty() ? ConditionEvaluationResult.enabled("a kube-apiserver runs here")
                : ConditionEvaluationResult.disabled(reason);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        server(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext context) {
        return p.getParameter().getType() == RealApiServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext context) {
        return server(context);
    }

    private static RealApiServer server(ExtensionContext context) {
        Class<?> testClass = context.getRequiredTestClass();
        ExtensionContext classContext = context;
        while (classContext.getTestMethod().isPresent()) classContext = classContext.getParent().orElseThrow();
        return classContext.getStore(NS).getOrComputeIfAbsent(testClass, c -> new Handle(start(testClass)), Handle.class).server;
    }

    private static RealApiServer start(Class<?> testClass) {
        Map<String, Object> values = new LinkedHashMap<>();
        RealApi a = testClass.getAnnotation(RealApi.class);
        if (a != null) {
            for (String kv : a.set()) {
                String[] p = kv.split("=", 2);
                values.put(p[0], p.length < 2 ? "true" : p[1].equals("true") ? Boolean.TRUE : p[1].equals("false") ? Boolean.FALSE : p[1]);
            }
        }
        System.err.println("real API server for " + testClass.getSimpleName() + (values.isEmpty() ? "" : " with " + values));
        return RealApiServer.start(values);
    }

    /** Closed by JUnit when the class's store goes away (after the class's last test and @AfterAll methods). */
    private record Handle(RealApiServer server) implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        @Override
        public void close() {
            server.close();
        }
    }
}
