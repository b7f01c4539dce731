// Jackson's tree reader, as Digdir's integrasjonspunkt and the mailbox providers read a DPI
// business message (the JWS payload): com.fasterxml.jackson.databind.ObjectMapper.readTree on
// the bytes, with the defaults a Spring application gets. One line per file (the arguments):
//   OK <dump> <trailing>                        the default mapper read a tree
//   REFUSED <ExceptionClass>:<message> <trailing>  it threw
// <dump> is the tree written canonically (below) and <message> the exception's message, both
// URL-encoded (UTF-8), so a line holds no newline and exactly two spaces. <trailing> is the
// verdict of a second mapper with FAIL_ON_TRAILING_TOKENS enabled: "trailing=OK" or
// "trailing=REFUSED:<ExceptionClass>".
//
// The canonical dump, written by the Python test too: an object is "{" then its members in
// document order, each "<string>:<value>", separated by ",", then "}"; an array likewise in
// "[" "]"; a string is '"', each UTF-16 unit (Java's char) as itself when it is printable ASCII
// other than '"' and '\', else as \\uXXXX (four lower-case hex digits), then '"'; an integral
// number is its decimal digits (any size); a floating point number is "d:" and the 16 hex
// digits of its IEEE 754 bits, so two readings are equal exactly when the doubles are; true,
// false, null as themselves; no content at all (Jackson's MissingNode) is "missing".
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

public class JsonOracle {
    private static final ObjectMapper DEFAULTS = new ObjectMapper();
    private static final ObjectMapper NO_TRAILING =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    private static void string(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
                out.append(c);
            } else {
                out.append(String.format("\\u%04x", (int) c));
            }
        }
        out.append('"');
    }

    // Without recursion: a deeply nested tree must not overflow the stack here (Jackson's
    // databind builds it without recursion), where a StackOverflowError would look like a refusal.
    // The stack holds either a node still to write or a piece of punctuation (a String).
    private static String dump(JsonNode root) {
        StringBuilder out = new StringBuilder();
        Deque<Object> todo = new ArrayDeque<>();
        todo.push(root);
        while (!todo.isEmpty()) {
            Object next = todo.pop();
            if (next instanceof String) {
                out.append((String) next);
                continue;
            }
            JsonNode node = (JsonNode) next;
            if (node == null) {
                out.append("no-tree");
            } else if (node.isMissingNode()) {
                out.append("missing");
            } else if (node.isObject()) {
                List<Object> items = new ArrayList<>();
                Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
                boolean first = true;
                while (fields.hasNext()) {
                    Map.Entry<String, JsonNode> field = fields.next();
                    StringBuilder key = new StringBuilder(first ? "" : ",");
                    string(key, field.getKey());
                    items.add(key.append(':').toString());
                    items.add(field.getValue());
                    first = false;
                }
                items.add("}");
                out.append('{');
                for (int i = items.size() - 1; i >= 0; i--) {
                    todo.push(items.get(i));
                }
            } else if (node.isArray()) {
                List<Object> items = new ArrayList<>();
                for (int i = 0; i < node.size(); i++) {
                    if (i > 0) {
                        items.add(",");
                    }
                    items.add(node.get(i));
                }
                items.add("]");
                out.append('[');
                for (int i = items.size() - 1; i >= 0; i--) {
                    todo.push(items.get(i));
                }
            } else if (node.isTextual()) {
                string(out, node.textValue());
            } else if (node.isIntegralNumber()) {
                out.append(node.bigIntegerValue().toString());
            } else if (node.isDouble()) {
                long bits = Double.doubleToRawLongBits(node.doubleValue());
                out.append("d:").append(String.format("%016x", bits));
            } else if (node.isNumber()) {
                // Not from the default settings (a float or BigDecimal node): say which.
                out.append(node.getNodeType()).append(':').append(node.numberValue());
            } else if (node.isBoolean()) {
                out.append(node.booleanValue() ? "true" : "false");
            } else if (node.isNull()) {
                out.append("null");
            } else {
                out.append("other:").append(node.getNodeType());
            }
        }
        return out.toString();
    }

    private static String refusal(Throwable e) {
        return e.getClass().getSimpleName() + ":" + encode(String.valueOf(e.getMessage()));
    }

    private static String verdict(byte[] data) {
        String trailing;
        try {
            NO_TRAILING.readTree(data);
            trailing = "trailing=OK";
        } catch (Exception | StackOverflowError | OutOfMemoryError e) {
            trailing = "trailing=REFUSED:" + e.getClass().getSimpleName();
        }
        try {
            return "OK " + encode(dump(DEFAULTS.readTree(data))) + " " + trailing;
        } catch (Exception | StackOverflowError | OutOfMemoryError e) {
            return "REFUSED " + refusal(e) + " " + trailing;
        }
    }

    public static void main(String[] args) throws Exception {
        StringBuilder lines = new StringBuilder();
        for (String path : args) {
            lines.append(verdict(Files.readAllBytes(Path.of(path)))).append('\n');
        }
        System.out.print(lines);
    }
}
