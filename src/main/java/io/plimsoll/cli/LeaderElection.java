package io.plimsoll.cli;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Produces;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.Optional;

/**
 * Leader election for running two or more replicas: only the holder of the Lease reconciles; the others keep
 * their caches warm and take over when the lease lapses. Off unless {@code plimsoll.leader-election.enabled}
 * (the Helm chart turns it on), because a single local or sandbox instance has nothing to elect.
 */
@Dependent
public class LeaderElection {

    @Produces
    @Dependent
    LeaderElectionConfiguration leaderElection(
            @ConfigProperty(name = "plimsoll.leader-election.enabled", defaultValue = "false") boolean enabled,
            @ConfigProperty(name = "plimsoll.leader-election.lease-name", defaultValue = "plimsoll-leader") String leaseName,
            @ConfigProperty(name = "plimsoll.leader-election.lease-namespace") Optional<String> leaseNamespace) {
        // QOSDK reads an absent (null) configuration as "no leader election".
        return enabled ? new LeaderElectionConfiguration(leaseName, leaseNamespace.orElse(null)) : null;
    }
}
