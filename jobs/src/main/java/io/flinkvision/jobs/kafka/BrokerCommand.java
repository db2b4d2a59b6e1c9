package io.flinkvision.jobs.kafka;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code broker}: the demo's embedded Kafka broker ({@link EmbeddedKafka}: one KRaft node in this JVM, transactions
 * on, records up to 16 MiB) on its own, with the given topics, until the process is stopped (Ctrl-C, SIGTERM). For
 * trying {@code produce}, {@code job}, replays and {@code compare} on one machine without a Kafka installation. Prints
 * {@code bootstrap.servers=HOST:PORT} on stdout (and writes it to {@code --bootstrap-file}) once clients can connect.
 * The broker's data is deleted when it stops.
 *
 * <p>Exit codes: 0 stopped normally; 1 the broker could not start; 2 usage.
 */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = "Run an embedded single-node Kafka broker (KRaft, transactions on) with the given topics until"
                + " stopped; prints bootstrap.servers=HOST:PORT. Data is deleted on exit. Not for production.")
public class BrokerCommand implements Callable<Integer> {
    @Option(names = "--topic", description = "Topic to create, NAME or NAME:PARTITIONS (repeatable; default:"
            + " frames:8, detections:8, frames-dlq:1).")
    Map<String, Integer> topics;
    @Option(names = "--bootstrap-file", description = "Also write bootstrap.servers=HOST:PORT to this file.")
    Path bootstrapFile;

    PrintStream out = System.out;
    PrintStream err = System.err;

    @Override
    public Integer call() throws InterruptedException {
        Map<String, Integer> wanted = topics != null ? topics
                : new LinkedHashMap<>(Map.of("frames", 8, "detections", 8, "frames-dlq", 1));
        if (wanted.values().stream().anyMatch(p -> p == null || p < 1)) {
            err.println("broker: --topic NAME:PARTITIONS needs at least 1 partition");
            return 2;
        }
        EmbeddedKafka kafka;
        try {
            kafka = EmbeddedKafka.start();
        } catch (RuntimeException e) {
            err.println("broker: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            kafka.close();
            stopped.countDown();
        }, "broker-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        wanted.forEach(kafka::createTopic);
        String line = "bootstrap.servers=" + kafka.bootstrapServers();
        if (bootstrapFile != null) {
            try {
                Files.writeString(bootstrapFile, line + "\n", StandardCharsets.UTF_8);
            } catch (IOException e) {
                err.println("broker: cannot write " + bootstrapFile + ": " + e.getMessage());
                return 2;
            }
        }
        err.println("broker: topics " + wanted + "; stop with Ctrl-C");
        out.println(line);
        out.flush();
        stopped.await();
        return 0;
    }
}
