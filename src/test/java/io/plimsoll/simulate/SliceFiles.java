package io.plimsoll.simulate;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** Paths of the committed openb slices (src/test/resources/openb-slice). */
final class SliceFiles {
    private SliceFiles() {}

    static Path dir() {
        try {
            return Path.of(SliceFiles.class.getResource("/openb-slice/README.md").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path nodes() { return dir().resolve("openb_node_list_gpu_node.csv.gz"); }
    static Path defaultPods() { return dir().resolve("openb_pod_list_default.csv.gz"); }
    static Path smallNodes() { return dir().resolve("small/openb_node_list_small.csv"); }
    static Path smallPods() { return dir().resolve("small/openb_pod_list_small.csv"); }
}
