// Jakarta Mail's multipart reader, as phase4 (before 4.6) split an AS4 message into its SOAP
// part (the first) and its attachments: jakarta.mail.internet.MimeMultipart over the HTTP body
// and its Content-Type, each part's content through getInputStream (the transfer encoding
// undone), with the library's default settings. Each file (the arguments) holds the
// Content-Type header value, a line feed, then the body. One line per file:
//   OK <part>,<part>,...        every part read to its end, in order
//   REFUSED <ExceptionClass>:<message>
// A part is "<Content-ID header or ->:<Content-ID count>:<encoding or ->:<length>:<sha256-hex>";
// header values and the message are URL-encoded (UTF-8), so a line holds no space or newline
// and no ',' or ':' but those it is made of.
import jakarta.mail.BodyPart;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.Arrays;

public class MimeOracle {
    private static String encoded(String text) {
        return text == null ? "-" : URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    private static String part(BodyPart part) throws Exception {
        String[] ids = part.getHeader("Content-ID");
        String[] encodings = part.getHeader("Content-Transfer-Encoding");
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        long length = 0;
        try (InputStream in = part.getInputStream()) {
            byte[] buffer = new byte[8192];
            for (int n = in.read(buffer); n != -1; n = in.read(buffer)) {
                sha256.update(buffer, 0, n);
                length += n;
            }
        }
        StringBuilder line = new StringBuilder();
        line.append(encoded(ids == null ? null : ids[0])).append(':');
        line.append(ids == null ? 0 : ids.length).append(':');
        line.append(encoded(encodings == null ? null : encodings[0])).append(':');
        line.append(length).append(':');
        for (byte b : sha256.digest()) {
            line.append(Character.forDigit((b >> 4) & 0xF, 16));
            line.append(Character.forDigit(b & 0xF, 16));
        }
        return line.toString();
    }

    private static String verdict(String path) {
        try {
            byte[] all = Files.readAllBytes(Paths.get(path));
            int lineEnd = 0;
            while (all[lineEnd] != '\n') {
                lineEnd++;
            }
            String contentType = new String(all, 0, lineEnd, StandardCharsets.ISO_8859_1);
            byte[] body = Arrays.copyOfRange(all, lineEnd + 1, all.length);
            MimeMultipart multipart = new MimeMultipart(new ByteArrayDataSource(body, contentType));
            StringBuilder line = new StringBuilder("OK ");
            for (int i = 0; i < multipart.getCount(); i++) {
                if (i > 0) {
                    line.append(',');
                }
                line.append(part(multipart.getBodyPart(i)));
            }
            return line.toString();
        } catch (Exception | StackOverflowError | OutOfMemoryError e) {
            return "REFUSED " + e.getClass().getSimpleName() + ":" + encoded(String.valueOf(e.getMessage()));
        }
    }

    public static void main(String[] args) {
        StringBuilder lines = new StringBuilder();
        for (String path : args) {
            lines.append(verdict(path)).append('\n');
        }
        System.out.print(lines);
    }
}
