// MappedBuffer: writing a file through a memory mapping. The bytes reach the
// page cache by page faults and CPU stores, not by write(2); force() is
// msync(2) and is what makes them durable.
//
//   java MappedBuffer.java FILE [SIZE_BYTES] [PAUSE_MS]
//
// SIZE_BYTES defaults to 1048576 (1 MiB, 256 pages of 4 KiB). FILE is deleted
// first, then created anew with that size. PAUSE_MS (default 0) is a sleep
// after the stores and before force(), so that a page-cache sampler can see
// the dirty pages. Expected on FILE (JDK 17, Linux): ftruncate(2) to SIZE,
// one mmap(2) MAP_SHARED, no write(2) or pwrite(2), one page fault per page
// stored into, then one msync(2) with MS_SYNC.
// The only output is one summary line on stdout, printed at the end.

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

public class MappedBuffer {
    static final int PAGE = 4096;

    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length < 1 || args.length > 3) {
            usage();
        }
        Path path = Path.of(args[0]);
        long size = args.length >= 2 ? Long.parseLong(args[1]) : 1L << 20;
        long pauseMs = args.length == 3 ? Long.parseLong(args[2]) : 0;
        // A MappedByteBuffer is indexed by int: one mapping holds < 2 GiB.
        if (size <= 0 || size > Integer.MAX_VALUE || pauseMs < 0) {
            usage();
        }

        // A new file, as in Streams.java: no old blocks, no old cached pages.
        Files.deleteIfExists(path);
        long faults;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            // The file is empty; map() first grows it to size (ftruncate),
            // because a shared mapping cannot reach past the end of the file.
            MappedByteBuffer map = channel.map(FileChannel.MapMode.READ_WRITE, 0, size);

            byte[] page = new byte[PAGE];
            for (int i = 0; i < PAGE; i++) {
                page[i] = (byte) ('a' + i % 26);
            }
            // Faults are counted for this thread only: the JVM's other threads
            // (JIT compilers, GC) fault on their own memory at the same time.
            long before = faultsOfThisThread();
            while (map.hasRemaining()) {
                map.put(page, 0, Math.min(PAGE, map.remaining()));
            }
            faults = faultsOfThisThread() - before;

            if (pauseMs > 0) {
                Thread.sleep(pauseMs);
            }
            // msync(MS_SYNC) over the mapping: the dirty pages are written
            // back and the call returns when the disk has them.
            map.force();
        }
        // Closing the channel does not unmap: the mapping lives until the
        // buffer is garbage-collected or the process exits.
        System.out.println("MappedBuffer bytes=" + size + " pages=" + (size + PAGE - 1) / PAGE
                + " faults_while_storing=" + faults);
    }

    /**
     * minflt + majflt (fields 10 and 12) of /proc/thread-self/stat. The first
     * store into the new file is a major fault (it starts a readahead of the
     * hole, no disk read), the others minor ones. Reading the counters opens
     * and reads a procfs file, so it is done only before and after the stores.
     */
    static long faultsOfThisThread() throws IOException {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        // Fields after the command name, which is in parentheses and may
        // contain spaces: state is field 3.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[10 - 3]) + Long.parseLong(fields[12 - 3]);
    }

    static void usage() {
        System.err.println("usage: java MappedBuffer.java FILE [SIZE_BYTES] [PAUSE_MS]");
        System.exit(2);
    }
}
