// The JDK's gzip reader, as phase4 and Oxalis decompress an AS4 payload (CompressionType
// application/gzip): java.util.zip.GZIPInputStream, read to its end. One line per file (the
// arguments):
//   OK <length>:<sha256-hex>                    the whole stream read
//   REFUSED <ExceptionClass>:<message>          it threw
// The message is URL-encoded (UTF-8), so a line holds no space or newline.
import java.io.BufferedInputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.zip.GZIPInputStream;

public class GzipOracle {
    private static String verdict(File file) {
        try (InputStream in =
                new GZIPInputStream(new BufferedInputStream(new FileInputStream(file)))) {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[8192];
            long length = 0;
            for (int n = in.read(buffer); n != -1; n = in.read(buffer)) {
                sha256.update(buffer, 0, n);
                length += n;
            }
            StringBuilder hex = new StringBuilder("OK ").append(length).append(':');
            for (byte b : sha256.digest()) {
                hex.append(Character.forDigit((b >> 4) & 0xF, 16));
                hex.append(Character.forDigit(b & 0xF, 16));
            }
            return hex.toString();
        } catch (Exception | StackOverflowError | OutOfMemoryError e) {
            String message = URLEncoder.encode(String.valueOf(e.getMessage()), StandardCharsets.UTF_8);
            return "REFUSED " + e.getClass().getSimpleName() + ":" + message;
        }
    }

    public static void main(String[] args) {
        StringBuilder lines = new StringBuilder();
        for (String path : args) {
            lines.append(verdict(new File(path))).append('\n');
        }
        System.out.print(lines);
    }
}
