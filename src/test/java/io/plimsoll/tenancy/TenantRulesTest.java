package io.plimsoll.tenancy;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.plimsoll.api.AcceleratorPool;
import io.plimsoll.api.AcceleratorPoolSpec;
import io.plimsoll.api.PoolAccelerator;
import io.plimsoll.api.PoolCap;
import io.plimsoll.api.Tenant;
import io.plimsoll.api.TenantQuota;
import io.plimsoll.api.TenantSpec;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.SharingMode;
import io.plimsoll.reconciler.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TenantRulesTest {
    static Tenant tenant(Double guaranteed, Double limit) {
        Tenant t = new Tenant();
        t.setMetadata(new ObjectMetaBuilder().withName("team-a").build());
        t.setSpec(new TenantSpec());
        if (guaranteed != null) t.getSpec().setGuaranteed(new TenantQuota(guaranteed, null));
        if (limit != null) t.getSpec().setLimit(new TenantQuota(limit, null));
        return t;
    }

    static AcceleratorPool pool(String name, AcceleratorType type, int devices, Double gpuEquivalent) {
        AcceleratorPool p = Fixtures.gpuPool(name, name.toUpperCase(), 80, devices, SharingMode.Exclusive, 1.0);
        p.getSpec().getAccelerator().setType(type);
        p.getSpec().getAccelerator().setGpuEquivalent(gpuEquivalent);
        return p;
    }

    @Test
    void capacityIsNodesTimesDevicesTimesWhatEachDeviceIsWorth() {
        AcceleratorPool cpu = new AcceleratorPool();
        cpu.setSpec(new AcceleratorPoolSpec());
        cpu.getSpec().setAccelerator(new PoolAccelerator());
        List<AcceleratorPool> pools = List.of(pool("h100", AcceleratorType.GPU, 8, null), pool("t4", AcceleratorType.GPU, 4, 0.15),
                pool("v5e", AcceleratorType.TPU, 4, 0.5), cpu);
        Map<AcceleratorPool, Integer> nodes = Map.of(pools.get(0), 2, pools.get(1), 10, pools.get(2), 1, cpu, 50);
        // 2 x 8 x 1.0 (default) + 10 x 4 x 0.15 + 1 x 4 x 0.5 + nothing for CPU
        assertEquals(16 + 6 + 2, TenantRules.capacityGpu(pools, nodes::get), 1e-9);
    }

    @Test
    void guaranteesAboveCapacityAreScaledInProportion() {
        assertEquals(8, TenantRules.effectiveGuarantee(8, 20, 24), 1e-9);
        assertEquals(6, TenantRules.effectiveGuarantee(8, 32, 24), 1e-9);
        assertEquals(0, TenantRules.effectiveGuarantee(8, 32, 0), 1e-9);
        assertEquals(0, TenantRules.effectiveGuarantee(0, 32, 24), 1e-9);
    }

    @Test
    void problemsTheCrdWouldHaveRefusedNameTheFieldAndTheFix() {
        assertEquals(List.of(), TenantRules.problems(tenant(4.0, 8.0)));
        assertEquals(List.of("spec.limit.gpuEquivalents (2.0) is below spec.guaranteed.gpuEquivalents (4.0): raise the limit to at"
                + " least the guarantee, or lower the guarantee"), TenantRules.problems(tenant(4.0, 2.0)));
        Tenant t = tenant(-1.0, null);
        t.getSpec().setWeight(0);
        t.getSpec().setPoolCaps(List.of(new PoolCap("h100", 2.0), new PoolCap("h100", 3.0)));
        t.getSpec().setMaxIdleTimeout("0s");
        assertEquals(List.of("spec.guaranteed.gpuEquivalents is -1.0: use a number from 0 to 1000000", "spec.weight is 0: use 1 to 1000",
                "spec.poolCaps names pool 'h100' more than once: keep one entry per pool",
                "spec.maxIdleTimeout is '0s': use a duration above zero such as 30m or 2h"), TenantRules.problems(t));
    }

    @Test
    void theIdleTimeoutCeilingCannotBeSwitchedOffByNever() {
        Tenant t = tenant(1.0, null);
        assertEquals("Never", TenantRules.capIdleTimeout(t, "Never"), "no ceiling: unchanged");
        t.getSpec().setMaxIdleTimeout("2h");
        assertEquals("2h", TenantRules.capIdleTimeout(t, "Never"));
        assertEquals("2h", TenantRules.capIdleTimeout(t, null), "the adaptive default may keep a replica longer");
        assertEquals("2h", TenantRules.capIdleTimeout(t, "3h"));
        assertEquals("30m", TenantRules.capIdleTimeout(t, "30m"));
        assertEquals("1h30m", TenantRules.capIdleTimeout(t, "1h30m"));
    }

    @Test
    void anEmptyPolicyListAllowsAny() {
        Tenant t = tenant(1.0, null);
        assertTrue(TenantRules.allowsPolicy(t, "anything"));
        assertTrue(TenantRules.allowsPolicy(null, "anything"), "no tenant: unlimited");
        t.getSpec().setPlacementPolicies(List.of("default", "batch"));
        assertTrue(TenantRules.allowsPolicy(t, "batch"));
        assertFalse(TenantRules.allowsPolicy(t, "premium"));
        assertEquals("PlacementPolicy 'premium' is not allowed for tenant team-a (it allows default, batch): set spec.policy to one"
                + " of those, or ask your cluster admin", TenantRules.policyRefused(t, "premium"));
    }
}
