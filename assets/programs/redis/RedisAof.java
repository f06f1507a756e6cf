// RedisAof: a real redis-server with its append-only file, fed N SET commands
// by a minimal RESP client, under one appendfsync policy.
//
//   java RedisAof.java DIR always|everysec|no COUNT [SECONDS]
//
// DIR is created if missing and must be empty: it receives the Unix socket,
// redis.log and appendonlydir/. The SETs are sent one at a time, each waiting
// for its +OK; with SECONDS > 0 they are spread evenly over that many seconds,
// otherwise sent as fast as the replies come back. Redis is stopped on every
// way out of this program: SHUTDOWN NOSAVE, then SIGTERM, then SIGKILL.
// Redis 7 appends every command to appendonlydir/appendonly.aof.1.incr.aof.
// The only output is one summary line on stdout, printed after Redis exited.

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

public class RedisAof {
    /** Every SET carries a value of this many bytes, so every command has the same size. */
    static final int VALUE_BYTES = 100;
    static final long STARTUP_TIMEOUT_MS = 10_000;
    static final long STOP_WAIT_SECONDS = 5;

    public static void main(String[] args) throws Exception {
        if (args.length < 3 || args.length > 4) {
            usage();
        }
        Path dir = Path.of(args[0]).toAbsolutePath();
        String policy = args[1];
        int count = Integer.parseInt(args[2]);
        double seconds = args.length == 4 ? Double.parseDouble(args[3]) : 0;
        if (!List.of("always", "everysec", "no").contains(policy) || count < 0 || seconds < 0
                || count > 999_999) {
            usage();
        }
        Files.createDirectories(dir);
        try (var entries = Files.list(dir)) {
            if (entries.findAny().isPresent()) {
                // An old AOF would be loaded and replayed at startup, and its
                // size and fsyncs would mix with this run's.
                throw new IOException(dir + " is not empty");
            }
        }

        Redis redis = new Redis(dir, policy);
        // Ctrl-C or SIGTERM to the JVM runs shutdown hooks; SIGKILL does not,
        // and then redis-server outlives the JVM in the same process group.
        Thread hook = new Thread(redis::stop, "stop-redis");
        Runtime.getRuntime().addShutdownHook(hook);
        long elapsedNanos;
        try {
            elapsedNanos = redis.sendSets(count, seconds);
        } finally {
            redis.stop();
        }
        Runtime.getRuntime().removeShutdownHook(hook);

        Path aof = dir.resolve("appendonlydir").resolve("appendonly.aof.1.incr.aof");
        System.out.println("RedisAof policy=" + policy + " sets=" + count + " seconds=" + seconds
                + " elapsed_ms=" + elapsedNanos / 1_000_000 + " redis_pid=" + redis.pid()
                + " aof_bytes=" + Files.size(aof) + " aof=" + aof);
    }

    /** One redis-server child process and the RESP connection to it. */
    static final class Redis {
        private final Path socketPath;
        private final Process process;

        Redis(Path dir, String policy) throws IOException {
            socketPath = dir.resolve("redis.sock");
            // No TCP port, no RDB snapshots, no automatic AOF rewrite: the AOF
            // and its policy are the only persistence at work. The directory
            // and file names are Redis 7's defaults, spelled out.
            process = new ProcessBuilder("redis-server",
                    "--port", "0",
                    "--unixsocket", socketPath.toString(),
                    "--unixsocketperm", "700",
                    "--dir", dir.toString(),
                    "--logfile", dir.resolve("redis.log").toString(),
                    "--loglevel", "warning",
                    "--daemonize", "no",
                    "--save", "",
                    "--appendonly", "yes",
                    "--appendfsync", policy,
                    "--appenddirname", "appendonlydir",
                    "--appendfilename", "appendonly.aof",
                    "--auto-aof-rewrite-percentage", "0")
                    .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
        }

        long pid() {
            return process.pid();
        }

        /**
         * Connects, waits for PING's reply (by then the AOF files exist and
         * startup is over), then sends count SETs, each after the reply to the
         * one before. Returns the nanoseconds the SETs took.
         */
        long sendSets(int count, double seconds) throws IOException, InterruptedException {
            try (SocketChannel channel = connect()) {
                command(channel, "PING");
                expect(channel, "+PONG\r\n");
                String value = "v".repeat(VALUE_BYTES);
                long start = System.nanoTime();
                long intervalNanos = count > 0 ? (long) (seconds * 1e9 / count) : 0;
                for (int i = 0; i < count; i++) {
                    long due = start + i * intervalNanos;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    command(channel, "SET", String.format("key:%06d", i), value);
                    expect(channel, "+OK\r\n");
                }
                return System.nanoTime() - start;
            }
        }

        /** Redis creates its socket during startup; until then connect fails. */
        private SocketChannel connect() throws IOException, InterruptedException {
            long deadline = System.currentTimeMillis() + STARTUP_TIMEOUT_MS;
            while (true) {
                if (!process.isAlive()) {
                    throw new IOException("redis-server exited with " + process.exitValue());
                }
                SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    channel.connect(UnixDomainSocketAddress.of(socketPath));
                    return channel;
                } catch (IOException notYet) {
                    channel.close();
                    if (System.currentTimeMillis() > deadline) {
                        throw new IOException("redis-server did not open " + socketPath, notYet);
                    }
                    Thread.sleep(10);
                }
            }
        }

        /**
         * Stops Redis, once, from whichever path gets here first. SHUTDOWN
         * NOSAVE skips the RDB save (there is none configured anyway) but
         * Redis still writes and fsyncs what remains of the AOF buffer before
         * it exits. It sends no reply; it closes the connection.
         */
        synchronized void stop() {
            if (!process.isAlive()) {
                return;
            }
            try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socketPath))) {
                command(channel, "SHUTDOWN", "NOSAVE");
                if (process.waitFor(STOP_WAIT_SECONDS, TimeUnit.SECONDS)) {
                    return;
                }
            } catch (IOException | InterruptedException e) {
                // No connection or no time to wait: fall through to signals.
            }
            try {
                process.destroy(); // SIGTERM: Redis shuts down as for SHUTDOWN
                if (!process.waitFor(STOP_WAIT_SECONDS, TimeUnit.SECONDS)) {
                    process.destroyForcibly(); // SIGKILL
                    process.waitFor();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Sends one command as a RESP array of bulk strings, e.g. SET k v is
     * "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", in a single write.
     */
    static void command(SocketChannel channel, String... words) throws IOException {
        StringBuilder resp = new StringBuilder("*").append(words.length).append("\r\n");
        for (String word : words) {
            resp.append('$').append(word.getBytes(StandardCharsets.UTF_8).length).append("\r\n")
                    .append(word).append("\r\n");
        }
        ByteBuffer bytes = ByteBuffer.wrap(resp.toString().getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }

    /** Reads exactly the expected reply, or fails. */
    static void expect(SocketChannel channel, String reply) throws IOException {
        ByteBuffer got = ByteBuffer.allocate(reply.length());
        while (got.hasRemaining()) {
            if (channel.read(got) == -1) {
                throw new IOException("connection closed, expected " + reply.strip());
            }
        }
        String text = new String(got.array(), StandardCharsets.UTF_8);
        if (!text.equals(reply)) {
            throw new IOException("expected " + reply.strip() + ", got " + text.strip());
        }
    }

    static void usage() {
        System.err.println("usage: java RedisAof.java DIR always|everysec|no COUNT [SECONDS]");
        System.exit(2);
    }
}
