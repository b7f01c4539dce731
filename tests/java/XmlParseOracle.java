// The JDK's XML parser (Xerces, javax.xml.parsers.DocumentBuilderFactory) as a hardened Java
// peer reads an AS4 envelope, an SBDH or a DPI document. Apache Santuario's
// XMLUtils.createDocumentBuilder (which WSS4J builds on) sets it namespace aware, not validating,
// any DOCTYPE refused (disallow-doctype-decl) and FEATURE_SECURE_PROCESSING on (the JDK's XML
// limits); on top, as the usual XXE advice has it: no external entities or DTDs, no XInclude,
// entity references not expanded (none can occur without a DOCTYPE). Each file (the arguments)
// is handed over as bytes, so Xerces detects the encoding itself. One line per file:
//   OK <dump>                the document was read; <dump> is its tree, described below
//   OK <dump>|<errors>       read, after recoverable errors that Xerces reported and went on from
//                            (what a parser without an error handler of its own does)
//   REFUSED <Class>:<message>   a fatal error or any other exception
// The dump, the message and the errors are URL-encoded (UTF-8), so a line holds no space,
// newline or '|' but the separators above.
//
// The dump lists the document's content depth first, one token per line: the processing
// instructions before and after the document element and the element itself, comments left
// out. An element is "E{namespace}local", then its attributes as "A{namespace}local=value"
// sorted by namespace and local name (namespace declarations, which DOM holds as attributes in
// the xmlns namespace, left out), then its content, then "/E". A run of text and CDATA
// sections, comments in it left out, is one "T<text>" (none when empty); a processing
// instruction "P<target> <data>". Every character outside printable ASCII, and the backslash,
// is written as \\uXXXX (\\UXXXXXX above U+FFFF), so a difference shows which character it is.
// tests/test_xml_parse_against_xerces.py writes the same dump of our tree.
import java.io.BufferedInputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Attr;
import org.w3c.dom.Document;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;
import org.w3c.dom.ProcessingInstruction;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXParseException;

public class XmlParseOracle {
    private static final String XMLNS = "http://www.w3.org/2000/xmlns/";

    /** Keeps the recoverable errors (Xerces goes on after them) and throws on fatal ones. */
    private static final class Errors implements ErrorHandler {
        final List<String> seen = new ArrayList<>();

        @Override
        public void warning(SAXParseException e) {}

        @Override
        public void error(SAXParseException e) {
            seen.add(String.valueOf(e.getMessage()));
        }

        @Override
        public void fatalError(SAXParseException e) throws SAXParseException {
            throw e;
        }
    }

    private static DocumentBuilderFactory factory() throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setValidating(false);
        factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
        factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        factory.setXIncludeAware(false);
        factory.setExpandEntityReferences(false);
        return factory;
    }

    private static String encoded(String text) {
        return URLEncoder.encode(String.valueOf(text), StandardCharsets.UTF_8);
    }

    /** {@code text} in printable ASCII: every other character, and '\', as an escape. */
    static String escaped(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().forEach(c -> {
            if (c >= 0x20 && c <= 0x7E && c != '\\') {
                out.append((char) c);
            } else if (c <= 0xFFFF) {
                out.append(String.format("\\u%04X", c));
            } else {
                out.append(String.format("\\U%06X", c));
            }
        });
        return out.toString();
    }

    private static String name(Node node) {
        String namespace = node.getNamespaceURI();
        return "{" + escaped(namespace == null ? "" : namespace) + "}" + escaped(node.getLocalName());
    }

    /** Flushes the text gathered so far as one token (none when it is empty). */
    private static void flush(StringBuilder text, List<String> tokens) {
        if (text.length() > 0) {
            tokens.add("T" + escaped(text.toString()));
            text.setLength(0);
        }
    }

    /** An element's start: its name, then its attributes but namespace declarations, sorted. */
    private static void start(Node element, List<String> tokens) {
        tokens.add("E" + name(element));
        NamedNodeMap attributes = element.getAttributes();
        List<String[]> listed = new ArrayList<>();
        for (int i = 0; i < attributes.getLength(); i++) {
            Attr attribute = (Attr) attributes.item(i);
            String namespace = attribute.getNamespaceURI();
            if (XMLNS.equals(namespace)) {
                continue;
            }
            listed.add(new String[] {
                escaped(namespace == null ? "" : namespace),
                escaped(attribute.getLocalName()),
                escaped(attribute.getValue()),
            });
        }
        listed.sort(Comparator.<String[], String>comparing(a -> a[0]).thenComparing(a -> a[1]));
        for (String[] a : listed) {
            tokens.add("A{" + a[0] + "}" + a[1] + "=" + a[2]);
        }
    }

    /** The document's dump, walked without recursion (Xerces reads any depth). */
    static String dump(Document document) {
        List<String> tokens = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        Node node = document.getFirstChild();
        while (node != null) {
            switch (node.getNodeType()) {
                case Node.TEXT_NODE:
                case Node.CDATA_SECTION_NODE:
                    text.append(node.getNodeValue());
                    break;
                case Node.COMMENT_NODE:
                    break; // our parser drops comments: the text either side is one run
                case Node.ELEMENT_NODE:
                    flush(text, tokens);
                    start(node, tokens);
                    if (node.getFirstChild() != null) {
                        node = node.getFirstChild();
                        continue;
                    }
                    tokens.add("/E");
                    break;
                case Node.PROCESSING_INSTRUCTION_NODE:
                    flush(text, tokens);
                    ProcessingInstruction pi = (ProcessingInstruction) node;
                    String data = pi.getData();
                    tokens.add("P" + escaped(pi.getTarget()) + " " + escaped(data == null ? "" : data));
                    break;
                default: // an entity reference, a DOCTYPE: not expected without a DTD; shown
                    flush(text, tokens);
                    tokens.add("?" + node.getNodeType() + ":" + escaped(String.valueOf(node.getNodeName())));
            }
            // On to the next node: the next sibling, else up, closing each element left.
            while (node != null && node.getNextSibling() == null) {
                node = node.getParentNode();
                if (node == null || node.getNodeType() == Node.DOCUMENT_NODE) {
                    node = null;
                } else {
                    flush(text, tokens);
                    tokens.add("/E");
                }
            }
            if (node != null) {
                node = node.getNextSibling();
            }
        }
        flush(text, tokens);
        return String.join("\n", tokens);
    }

    private static String verdict(DocumentBuilderFactory factory, File file) {
        try (InputStream in = new BufferedInputStream(new FileInputStream(file))) {
            DocumentBuilder builder = factory.newDocumentBuilder();
            Errors errors = new Errors();
            builder.setErrorHandler(errors);
            Document document = builder.parse(in);
            String line = "OK " + encoded(dump(document));
            if (!errors.seen.isEmpty()) {
                line += "|" + encoded(String.join(" / ", errors.seen));
            }
            return line;
        } catch (Exception | StackOverflowError | OutOfMemoryError e) {
            return "REFUSED " + e.getClass().getSimpleName() + ":" + encoded(e.getMessage());
        }
    }

    public static void main(String[] args) throws Exception {
        DocumentBuilderFactory factory = factory();
        StringBuilder lines = new StringBuilder();
        for (String path : args) {
            lines.append(verdict(factory, new File(path))).append('\n');
        }
        System.out.print(lines);
    }
}
