package io.flinkvision.jobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * docker/flink-conf/flink-lib.yaml is the one source of the settings that go with jobs/target/flink-lib/ in a
 * cluster's lib/ (StandaloneClusterITCase runs a cluster with it): the Docker image's config.yaml and the Kubernetes
 * FlinkDeployment must carry the same values, the Dockerfile must take its lib/ jars from jobs/target/flink-lib/, and
 * the README must point at both.
 */
class FlinkLibConfigTest {
    private static final Path ROOT = Path.of("..");

    @Test
    void flinkLibYamlIsFlinkConfigurationWithTheParentFirstJniPackages(@TempDir Path dir) throws IOException {
        Configuration c = flinkLib(dir);
        assertThat(c.get(CoreOptions.ALWAYS_PARENT_FIRST_LOADER_PATTERNS_ADDITIONAL))
                .containsExactlyInAnyOrder("org.bytedeco", "ai.onnxruntime");
        assertThat(c.get(CoreOptions.FLINK_TM_JVM_OPTIONS)).contains("-Dorg.bytedeco.javacpp.maxPhysicalBytes=0");
    }

    @Test
    void appendedToTheNestedConfigOfAFlinkDistributionItAddsItsKeysAndKeepsTheOthers(@TempDir Path dir)
            throws IOException {
        // the shape of conf/config.yaml in flink-2.2.1-bin: nested keys, env.java.opts.all among them
        String distribution = String.join("\n",
                "jobmanager:", "  rpc:", "    address: localhost", "    port: 6123",
                "taskmanager:", "  numberOfTaskSlots: 1", "  memory:", "    process:", "      size: 1728m",
                "env:", "  java:", "    opts:", "      all: --add-opens=java.base/java.util=ALL-UNNAMED", "");
        // the README's steps: cat flink-lib.yaml >> config.yaml, then one more flat line
        Files.writeString(dir.resolve("config.yaml"), distribution
                + Files.readString(ROOT.resolve("docker/flink-conf/flink-lib.yaml"))
                + "taskmanager.memory.task.off-heap.size: 256m\n");
        Configuration c = GlobalConfiguration.loadConfiguration(dir.toString());
        assertThat(c.get(CoreOptions.ALWAYS_PARENT_FIRST_LOADER_PATTERNS_ADDITIONAL))
                .containsExactlyInAnyOrder("org.bytedeco", "ai.onnxruntime");
        assertThat(c.get(CoreOptions.FLINK_TM_JVM_OPTIONS)).contains("-Dorg.bytedeco.javacpp.maxPhysicalBytes=0");
        assertThat(c.get(CoreOptions.FLINK_JVM_OPTIONS)).isEqualTo("--add-opens=java.base/java.util=ALL-UNNAMED");
        assertThat(c.getString("taskmanager.memory.process.size", null)).isEqualTo("1728m");
        assertThat(c.getString("taskmanager.memory.task.off-heap.size", null)).isEqualTo("256m");
        assertThat(c.getString("jobmanager.rpc.address", null)).isEqualTo("localhost");
    }

    @Test
    void dockerImageConfigurationCarriesTheSameValues(@TempDir Path dir) throws IOException {
        Configuration lib = flinkLib(dir.resolve("lib"));
        Configuration docker = GlobalConfiguration.loadConfiguration(ROOT.resolve("docker/flink-conf").toString());
        for (String key : lib.keySet()) {
            assertThat(docker.get(asList(key))).as("%s in docker/flink-conf/config.yaml", key)
                    .isEqualTo(lib.get(asList(key)));
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void kubernetesDeploymentCarriesTheSameValues(@TempDir Path dir) throws IOException {
        Configuration lib = flinkLib(dir);
        Map<String, String> flat = new LinkedHashMap<>();
        Load yaml = new Load(LoadSettings.builder().build());
        for (Object doc : yaml.loadAllFromString(Files.readString(ROOT.resolve("k8s/flink-deployment.yaml")))) {
            Map<String, Object> d = (Map<String, Object>) doc;
            if (d != null && "FlinkDeployment".equals(d.get("kind"))) {
                ((Map<String, Object>) ((Map<String, Object>) d.get("spec")).get("flinkConfiguration"))
                        .forEach((k, v) -> flat.put(k, String.valueOf(v)));
            }
        }
        assertThat(flat).as("flinkConfiguration of the FlinkDeployment").isNotEmpty();
        Configuration k8s = Configuration.fromMap(flat);
        for (String key : lib.keySet()) {
            assertThat(k8s.get(asList(key))).as("%s in k8s/flink-deployment.yaml", key).isEqualTo(lib.get(asList(key)));
        }
    }

    @Test
    void dockerfileTakesLibFromTheFlinkLibBuildStep() throws IOException {
        String dockerfile = Files.readString(ROOT.resolve("docker/Dockerfile"));
        assertThat(dockerfile).contains("cp jobs/target/flink-lib/*.jar /out/lib/")
                .contains("COPY --from=build --chown=flink:flink /out/lib/ /opt/flink/lib/")
                .doesNotContain("copy-dependencies");
    }

    @Test
    void readmeGivesTheFlinkLibFolderAndItsSettings() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        assertThat(readme).contains("jobs/target/flink-lib/", "docker/flink-conf/flink-lib.yaml",
                "StandaloneClusterITCase");
    }

    /** flink-lib.yaml read by Flink's own parser, as appended to an empty config.yaml. */
    private static Configuration flinkLib(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.copy(ROOT.resolve("docker/flink-conf/flink-lib.yaml"), dir.resolve("config.yaml"));
        Configuration c = GlobalConfiguration.loadConfiguration(dir.toString());
        assertThat(c.keySet()).as("keys of flink-lib.yaml").isNotEmpty()
                .isSubsetOf(Set.of(CoreOptions.ALWAYS_PARENT_FIRST_LOADER_PATTERNS_ADDITIONAL.key(),
                        CoreOptions.FLINK_TM_JVM_OPTIONS.key(), CoreOptions.FLINK_JM_JVM_OPTIONS.key(),
                        CoreOptions.FLINK_JVM_OPTIONS.key()));
        return c;
    }

    /** Any option as a list: YAML lists, ';'-separated strings and scalars compare alike. */
    private static ConfigOption<List<String>> asList(String key) {
        return ConfigOptions.key(key).stringType().asList().noDefaultValue();
    }
}
