package io.flinkvision.jobs.kafka;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.channels.ServerSocketChannel;
import java.util.Map;
import org.apache.kafka.common.test.KafkaClusterTestKit;

/**
 * Makes the embedded broker's listeners bind the loopback address only.
 *
 * <p>{@link KafkaClusterTestKit} pre-binds one server socket per listener on the wildcard address (its
 * {@code PreboundSocketFactoryManager} binds {@code new InetSocketAddress(0)}) to learn the ports before the nodes
 * start, and the nodes then serve on those sockets: every interface, whatever host {@code listeners} names. When a
 * pre-bound socket is closed before start-up, the kit's socket factory opens a fresh one on the listener's own host
 * ({@code 127.0.0.1} here) and the same port. This class closes them between {@code build()} and {@code startup()}.
 * The kit offers no option for it, so this reads its private fields (kafka-test-common-runtime 4.2.0); a kit that
 * changes them fails here, loudly, instead of silently listening on every interface
 * ({@code EmbeddedKafkaTest.listensOnLoopbackOnly} checks the sockets the process really holds).
 */
final class LoopbackListeners {
    private LoopbackListeners() {}

    /**
     * Closes the kit's pre-bound wildcard sockets so that start-up binds each listener's configured host.
     *
     * @param cluster a built, not yet started cluster
     * @return the number of sockets closed (one per listener per node)
     * @throws IllegalStateException when the kit's internals are not the expected ones (a new Kafka version)
     */
    static int closePreboundSockets(KafkaClusterTestKit cluster) {
        try {
            Object manager = field(KafkaClusterTestKit.class, "socketFactoryManager").get(cluster);
            Field socketsField = field(manager.getClass(), "sockets");
            int closed = 0;
            synchronized (manager) {
                @SuppressWarnings("unchecked")
                Map<Integer, Map<String, ServerSocketChannel>> sockets =
                        (Map<Integer, Map<String, ServerSocketChannel>>) socketsField.get(manager);
                for (Map<String, ServerSocketChannel> perNode : sockets.values()) {
                    for (ServerSocketChannel channel : perNode.values()) {
                        channel.close();
                        closed++;
                    }
                }
            }
            if (closed == 0) {
                throw new IllegalStateException("the Kafka test kit pre-bound no sockets: cannot confine its "
                        + "listeners to 127.0.0.1 (kafka-test-common-runtime changed?)");
            }
            return closed;
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException("cannot confine the embedded Kafka listeners to 127.0.0.1: the Kafka test "
                    + "kit's pre-bound sockets are not where kafka-test-common-runtime 4.2.0 keeps them (" + e + ")", e);
        } catch (IOException e) {
            throw new IllegalStateException("cannot close a pre-bound Kafka listener socket: " + e, e);
        }
    }

    private static Field field(Class<?> type, String name) throws NoSuchFieldException {
        Field f = type.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }
}
