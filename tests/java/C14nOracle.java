// The JDK's XML canonicalization (javax.xml.crypto.dsig, Apache Santuario's canonicalizers, with
// which phase4 and Oxalis sign and verify): one line per case, "OK <base64 of the canonical
// octets>" or "REFUSED <reason>". Arguments: the case files.
//
// A case file is one header line, then the XML document. The header holds five fields separated
// by tabs: the method ("exc", "c14n10" or "c14n11"), the id attribute's namespace ("-" for none),
// its local name, its value, and the exclusive PrefixList (the InclusiveNamespaces PrefixList
// attribute's value, verbatim; empty for none).
//
// The document is parsed namespace-aware with any DOCTYPE refused. The element whose id attribute
// has that value is marked as an ID and dereferenced as a same-document reference "#<value>" by the
// JDK's own URIDereferencer (comments excluded, XMLDSig 4.4.3.3); the canonicalization method, a
// TransformService initialised from a ds:Transform element as a verifier unmarshals one (the
// PrefixList read from its InclusiveNamespaces child), writes that data to a stream as the last
// transform of a Reference writes to the digest (DOMReference): the octets the JDK digests for a
// Reference "#<value>" with that one transform, through public API only. The element is
// canonicalized in its document context (Santuario's subtree canonicalization).
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Base64;
import javax.xml.crypto.Data;
import javax.xml.crypto.dom.DOMCryptoContext;
import javax.xml.crypto.dom.DOMStructure;
import javax.xml.crypto.dom.DOMURIReference;
import javax.xml.crypto.dsig.CanonicalizationMethod;
import javax.xml.crypto.dsig.TransformService;
import javax.xml.crypto.dsig.XMLSignature;
import javax.xml.crypto.dsig.XMLSignatureFactory;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Attr;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

public class C14nOracle {
    static final String C14N11 = "http://www.w3.org/2006/12/xml-c14n11";

    public static void main(String[] args) throws Exception {
        DocumentBuilderFactory builders = DocumentBuilderFactory.newInstance();
        builders.setNamespaceAware(true);
        builders.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        XMLSignatureFactory factory = XMLSignatureFactory.getInstance("DOM");
        StringBuilder out = new StringBuilder();
        for (String path : args) {
            String verdict;
            try {
                verdict = "OK " + Base64.getEncoder().encodeToString(
                    canonicalize(builders, factory, Files.readAllBytes(new File(path).toPath())));
            } catch (Exception | StackOverflowError e) {
                verdict = "REFUSED " + describe(e);
            }
            out.append(verdict.replace('\n', ' ').replace('\r', ' ')).append('\n');
        }
        System.out.print(out);
    }

    static byte[] canonicalize(
        DocumentBuilderFactory builders, XMLSignatureFactory factory, byte[] data
    ) throws Exception {
        int newline = 0;
        while (data[newline] != '\n') {
            newline++;
        }
        String[] header = new String(data, 0, newline, "UTF-8").split("\t", -1);
        String method = header[0];
        String idNamespace = header[1].equals("-") ? null : header[1];
        String idName = header[2];
        String id = header[3];
        String prefixList = header[4];
        byte[] xml = Arrays.copyOfRange(data, newline + 1, data.length);

        Document document = builders.newDocumentBuilder().parse(new ByteArrayInputStream(xml));
        Element apex = null;
        NodeList elements = document.getElementsByTagName("*");
        for (int i = 0; i < elements.getLength() && apex == null; i++) {
            Element element = (Element) elements.item(i);
            Attr attribute = element.getAttributeNodeNS(idNamespace, idName);
            if (attribute != null && attribute.getValue().equals(id)) {
                apex = element;
            }
        }
        if (apex == null) {
            throw new IllegalArgumentException("no element with that id");
        }
        Attr idAttribute = apex.getAttributeNodeNS(idNamespace, idName);
        apex.setIdAttributeNode(idAttribute, true);
        DOMCryptoContext context = new DOMCryptoContext() {};
        context.setIdAttributeNS(apex, idNamespace, idName);

        // The same-document reference, as a Reference element's URI attribute would be: its
        // owner document is the case's, and the JDK reads nothing else of it.
        Data dereferenced = factory.getURIDereferencer().dereference(new DOMURIReference() {
            public Node getHere() {
                return idAttribute;
            }
            public String getURI() {
                return "#" + id;
            }
            public String getType() {
                return null;
            }
        }, context);

        String algorithm;
        switch (method) {
            case "exc": algorithm = CanonicalizationMethod.EXCLUSIVE; break;
            case "c14n10": algorithm = CanonicalizationMethod.INCLUSIVE; break;
            case "c14n11": algorithm = C14N11; break;
            default: throw new IllegalArgumentException("unknown method " + method);
        }
        // The ds:Transform element a signer wrote, in a document of its own.
        Document scratch = builders.newDocumentBuilder().newDocument();
        Element transform = scratch.createElementNS(XMLSignature.XMLNS, "ds:Transform");
        transform.setAttributeNS(null, "Algorithm", algorithm);
        scratch.appendChild(transform);
        if (method.equals("exc") && !prefixList.isEmpty()) {
            Element inclusive = scratch.createElementNS(algorithm, "ec:InclusiveNamespaces");
            inclusive.setAttributeNS(null, "PrefixList", prefixList);
            transform.appendChild(inclusive);
        }
        TransformService service = TransformService.getInstance(algorithm, "DOM");
        service.init(new DOMStructure(transform), context);
        // The last transform of a Reference writes to the digest's stream (DOMReference).
        ByteArrayOutputStream octets = new ByteArrayOutputStream();
        service.transform(dereferenced, context, octets);
        return octets.toByteArray();
    }

    static String describe(Throwable e) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (text.length() > 0) {
                text.append(" <- ");
            }
            text.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage());
        }
        return text.length() > 600 ? text.substring(0, 600) : text.toString();
    }
}
