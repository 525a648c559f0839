package io.plimsoll.activity;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Optional;

/** The activity sources the operator has: the annotation always, Prometheus when plimsoll.prometheus.url is set. */
@ApplicationScoped
public class ActivitySources {
    private final PrometheusActivitySource prometheus;

    @Inject
    public ActivitySources(@ConfigProperty(name = "plimsoll.prometheus.url") Optional<String> url,
                           @ConfigProperty(name = "plimsoll.prometheus.timeout", defaultValue = "5s") Duration timeout) {
        this(url.filter(u -> !u.isBlank()).map(u -> new PrometheusActivitySource(URI.create(u), timeout,
                HttpClient.newBuilder().connectTimeout(timeout).build())).orElse(null));
    }

    public ActivitySources(PrometheusActivitySource prometheus) {
        this.prometheus = prometheus;
    }

    /** The Prometheus source, or null when none is configured. */
    public PrometheusActivitySource prometheus() {
        return prometheus;
    }
}
