// TransferTo: sending a file to a socket, once with FileChannel.transferTo
// (the kernel moves the bytes: sendfile(2)) and once through a Java buffer
// (read(2) into the process, write(2) out of it).
//
//   java TransferTo.java FILE transfer|copy [tcp|unix]
//
// FILE must exist; it is only read. The receiving end is a thread of this
// program: it accepts one connection on 127.0.0.1 (tcp, the default, port
// chosen by the kernel) or on a Unix-domain socket in a fresh temporary
// directory (unix), and reads until end of stream.
// Expected on FILE (JDK 17, Linux):
//   transfer  sendfile(2) with FILE as in_fd, no read(2) of FILE
//   copy      read(2) of 4096 bytes per page, plus one read that returns 0
// The only output is one summary line on stdout.

import java.io.FileInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

public class TransferTo {
    /** The copy loop's buffer, one page, as in the article's example. */
    static final int COPY_BUFFER = 4096;

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || args.length > 3) {
            usage();
        }
        Path file = Path.of(args[0]);
        String mode = args[1];
        String socketType = args.length == 3 ? args[2] : "tcp";
        if (!mode.equals("transfer") && !mode.equals("copy")) {
            usage();
        }

        Path socketDir = null;
        ServerSocketChannel server;
        switch (socketType) {
            case "tcp":
                server = ServerSocketChannel.open(StandardProtocolFamily.INET);
                server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                break;
            case "unix":
                socketDir = Files.createTempDirectory("transferto");
                server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                server.bind(UnixDomainSocketAddress.of(socketDir.resolve("sock")));
                break;
            default:
                usage();
                return;
        }

        try (server) {
            Drain drain = new Drain(server);
            Thread receiver = new Thread(drain, "receiver");
            receiver.start();

            long size = Files.size(file);
            long calls;
            SocketAddress address = server.getLocalAddress();
            try (SocketChannel socket = SocketChannel.open(address)) {
                calls = mode.equals("transfer") ? transfer(file, size, socket) : copy(file, socket);
            }
            // Closing the socket ends the receiver's stream.
            receiver.join();
            if (drain.error != null) {
                throw drain.error;
            }
            if (drain.received != size) {
                throw new IOException("sent " + size + " bytes, received " + drain.received);
            }
            String callName = mode.equals("transfer") ? "transferTo_calls" : "read_calls";
            System.out.println("TransferTo mode=" + mode + " socket=" + socketType
                    + " bytes=" + size + " " + callName + "=" + calls);
        } finally {
            if (socketDir != null) {
                Files.deleteIfExists(socketDir.resolve("sock"));
                Files.delete(socketDir);
            }
        }
    }

    /**
     * transferTo may move fewer bytes than asked (a socket send buffer that is
     * full, a signal), so it is called until the whole file is sent. Returns
     * the number of transferTo calls.
     */
    static long transfer(Path file, long size, SocketChannel socket) throws IOException {
        long calls = 0;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            for (long position = 0; position < size; calls++) {
                position += channel.transferTo(position, size - position, socket);
            }
        }
        return calls;
    }

    /**
     * The article's loop: read into a heap buffer's array, write the buffer to
     * the socket. Each read(2) copies a page from the page cache into the
     * process; writing a heap buffer makes the JDK copy it once more into a
     * native buffer before write(2) copies it into the socket. Returns the
     * number of read calls, the last one being the one that returns -1.
     */
    static long copy(Path file, SocketChannel socket) throws IOException {
        long calls = 0;
        ByteBuffer buffer = ByteBuffer.allocate(COPY_BUFFER);
        try (FileInputStream in = new FileInputStream(file.toFile())) {
            int n;
            do {
                n = in.read(buffer.array());
                calls++;
                if (n > 0) {
                    buffer.limit(n);
                    while (buffer.hasRemaining()) {
                        socket.write(buffer);
                    }
                    buffer.clear();
                }
            } while (n != -1);
        }
        return calls;
    }

    /** Accepts one connection and reads it to the end, counting the bytes. */
    static final class Drain implements Runnable {
        private final ServerSocketChannel server;
        volatile long received;
        volatile IOException error;

        Drain(ServerSocketChannel server) {
            this.server = server;
        }

        @Override
        public void run() {
            ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
            try (SocketChannel peer = server.accept()) {
                long total = 0;
                while (peer.read(buffer) != -1) {
                    total += buffer.position();
                    buffer.clear();
                }
                received = total;
            } catch (IOException e) {
                error = e;
            }
        }
    }

    static void usage() {
        System.err.println("usage: java TransferTo.java FILE transfer|copy [tcp|unix]");
        System.exit(2);
    }
}
