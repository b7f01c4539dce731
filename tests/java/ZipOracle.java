// The JDK's two zip readers, as mailbox providers and Digdir's Java clients read an ASiC-E
// package: java.util.zip.ZipFile (the central directory; each entry through getInputStream) and
// java.util.zip.ZipInputStream (the local headers, streaming: getNextEntry until null). Every
// entry is read to its end. One line per file (the arguments):
//   OK <ZipFile listing>|<ZipInputStream listing>      both readers read the whole zip
//   REFUSED zipfile=<ok|refusal> stream=<ok|refusal>   either threw
// A listing is "name:sha256-hex" per entry, in the order read, joined by commas; a refusal is
// "ExceptionClass:message". Names and messages are URL-encoded (UTF-8), so a line holds no space,
// newline, ':', ',' or '|' but those it is made of.
import java.io.BufferedInputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

public class ZipOracle {
    /** What one reader made of a file: the listing, or (when it threw) the refusal. */
    private static final class Read {
        final String listing;
        final String refusal;

        Read(String listing, String refusal) {
            this.listing = listing;
            this.refusal = refusal;
        }
    }

    private interface Reader {
        void read(File file, List<String> listing) throws Exception;
    }

    private static String encoded(String text) {
        return URLEncoder.encode(String.valueOf(text), StandardCharsets.UTF_8);
    }

    /** "name:sha256" of one entry, its content read from {@code in} to the end. */
    private static String listed(String name, InputStream in) throws Exception {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[8192];
        for (int n = in.read(buffer); n != -1; n = in.read(buffer)) {
            sha256.update(buffer, 0, n);
        }
        StringBuilder hex = new StringBuilder(encoded(name)).append(':');
        for (byte b : sha256.digest()) {
            hex.append(Character.forDigit((b >> 4) & 0xF, 16));
            hex.append(Character.forDigit(b & 0xF, 16));
        }
        return hex.toString();
    }

    private static void central(File file, List<String> listing) throws Exception {
        try (ZipFile zip = new ZipFile(file)) {
            for (Enumeration<? extends ZipEntry> all = zip.entries(); all.hasMoreElements(); ) {
                ZipEntry entry = all.nextElement();
                try (InputStream in = zip.getInputStream(entry)) {
                    listing.add(listed(entry.getName(), in));
                }
            }
        }
    }

    private static void streamed(File file, List<String> listing) throws Exception {
        try (ZipInputStream zip =
                new ZipInputStream(new BufferedInputStream(new FileInputStream(file)))) {
            for (ZipEntry entry = zip.getNextEntry(); entry != null; entry = zip.getNextEntry()) {
                listing.add(listed(entry.getName(), zip));
            }
        }
    }

    private static Read attempt(Reader reader, File file) {
        List<String> listing = new ArrayList<>();
        try {
            reader.read(file, listing);
            return new Read(String.join(",", listing), null);
        } catch (Exception | StackOverflowError | OutOfMemoryError e) {
            return new Read(null, e.getClass().getSimpleName() + ":" + encoded(e.getMessage()));
        }
    }

    public static void main(String[] args) {
        StringBuilder lines = new StringBuilder();
        for (String path : args) {
            File file = new File(path);
            Read zipFile = attempt(ZipOracle::central, file);
            Read stream = attempt(ZipOracle::streamed, file);
            if (zipFile.refusal == null && stream.refusal == null) {
                lines.append("OK ").append(zipFile.listing).append('|').append(stream.listing);
            } else {
                lines.append("REFUSED zipfile=")
                        .append(zipFile.refusal == null ? "ok" : zipFile.refusal)
                        .append(" stream=")
                        .append(stream.refusal == null ? "ok" : stream.refusal);
            }
            lines.append('\n');
        }
        System.out.print(lines);
    }
}
