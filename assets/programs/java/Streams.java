// Streams: the same bytes written in 100-byte pieces through a plain
// FileOutputStream, through a BufferedOutputStream, and buffered then fsync'd.
//
//   java Streams.java FILE unbuffered|buffered|sync [TOTAL_BYTES]
//
// TOTAL_BYTES defaults to 1048576 (1 MiB). FILE is deleted first, then
// created anew (see main for why).
// Expected write(2)s on FILE for 1 MiB (JDK 17, Linux):
//   unbuffered  10486 = 10485 x 100 bytes + 1 x 76 bytes
//   buffered      130 =   129 x 8100 bytes + 1 x 3676 bytes
//   sync          the same 130, then one fsync(2)
// The only output is one summary line on stdout, printed after FILE is closed.

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

public class Streams {
    /** The size of the program's write calls, as in the article; only the last may be shorter. */
    static final int CHUNK = 100;

    public static void main(String[] args) throws IOException {
        if (args.length < 2 || args.length > 3) {
            usage();
        }
        String path = args[0];
        String mode = args[1];
        long total = args.length == 3 ? Long.parseLong(args[2]) : 1L << 20;
        if (!List.of("unbuffered", "buffered", "sync").contains(mode) || total < 0) {
            usage();
        }

        // A new file, not a truncated old one: ext4 (auto_da_alloc) starts
        // writeback at close() of a file that was truncated to 0 and
        // rewritten, and the pages would not stay dirty after the run.
        Files.deleteIfExists(Path.of(path));
        long calls;
        try (FileOutputStream file = new FileOutputStream(path)) {
            calls = mode.equals("unbuffered") ? writeAll(file, total) : writeBuffered(file, total);
            if (mode.equals("sync")) {
                // The buffered bytes have reached the page cache; sync() is
                // fsync(2) on the file's descriptor and waits until the
                // kernel reports them on the disk.
                file.getFD().sync();
            }
        }
        System.out.println("Streams mode=" + mode + " bytes=" + total
                + " write_calls=" + calls + " chunk=" + CHUNK);
    }

    /**
     * Wraps the file in a BufferedOutputStream with its default 8192-byte
     * buffer. The stream is flushed but not closed here: closing it would
     * close the file, and the sync mode still needs the descriptor.
     */
    static long writeBuffered(FileOutputStream file, long total) throws IOException {
        BufferedOutputStream buffered = new BufferedOutputStream(file);
        long calls = writeAll(buffered, total);
        // The last partial buffer (3676 bytes for 1 MiB) leaves here.
        buffered.flush();
        return calls;
    }

    /**
     * Writes total bytes to out in CHUNK-byte calls: full calls with
     * write(byte[]), then one shorter write(byte[], 0, rest) for the tail.
     * Returns the number of Java write calls.
     */
    static long writeAll(OutputStream out, long total) throws IOException {
        byte[] chunk = new byte[CHUNK];
        for (int i = 0; i < CHUNK; i++) {
            chunk[i] = (byte) ('a' + i % 26);
        }
        long full = total / CHUNK;
        int rest = (int) (total % CHUNK);
        for (long i = 0; i < full; i++) {
            out.write(chunk);
        }
        if (rest > 0) {
            out.write(chunk, 0, rest);
        }
        return full + (rest > 0 ? 1 : 0);
    }

    static void usage() {
        System.err.println("usage: java Streams.java FILE unbuffered|buffered|sync [TOTAL_BYTES]");
        System.exit(2);
    }
}
