// The JDK's XML Signature (javax.xml.crypto.dsig, from Apache Santuario, with which phase4 and
// Oxalis verify): one verdict line per document, "OK verified" or "REFUSED <reason>".
// Arguments: the signer's X.509 certificate (PEM or DER), then the documents.
//
// Each document is parsed namespace-aware with any DOCTYPE refused; every wsu:Id, Id, ID, id and
// xml:id attribute is marked as an ID; the first ds:Signature in document order is unmarshalled
// and validated (core validation: the SignatureValue and every Reference) with the certificate's
// public key and secure validation on. References are dereferenced by the JDK's own dereferencer,
// no base URI given (secure validation refuses the file, http and https schemes).
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.xml.crypto.dsig.Reference;
import javax.xml.crypto.dsig.XMLSignature;
import javax.xml.crypto.dsig.XMLSignatureFactory;
import javax.xml.crypto.dsig.dom.DOMValidateContext;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Attr;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

public class DsigOracle {
    static final String DS = "http://www.w3.org/2000/09/xmldsig#";
    static final String WSU =
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
    static final String XML = "http://www.w3.org/XML/1998/namespace";
    // (namespace, local name) of the attributes that serve as ids.
    static final String[][] ID_ATTRIBUTES = {
        {WSU, "Id"}, {null, "Id"}, {null, "ID"}, {null, "id"}, {XML, "id"},
    };

    public static void main(String[] args) throws Exception {
        PublicKey key;
        try (InputStream in = new FileInputStream(args[0])) {
            X509Certificate certificate = (X509Certificate)
                CertificateFactory.getInstance("X.509").generateCertificate(in);
            key = certificate.getPublicKey();
        }
        DocumentBuilderFactory builders = DocumentBuilderFactory.newInstance();
        builders.setNamespaceAware(true);
        builders.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        XMLSignatureFactory factory = XMLSignatureFactory.getInstance("DOM");
        StringBuilder out = new StringBuilder();
        for (int i = 1; i < args.length; i++) {
            String verdict;
            try {
                byte[] data = Files.readAllBytes(new File(args[i]).toPath());
                verdict = verify(builders, factory, key, data);
            } catch (Exception | StackOverflowError e) {
                verdict = "REFUSED " + describe(e);
            }
            out.append(verdict.replace('\n', ' ').replace('\r', ' ')).append('\n');
        }
        System.out.print(out);
    }

    static String verify(
        DocumentBuilderFactory builders, XMLSignatureFactory factory, PublicKey key, byte[] data
    ) throws Exception {
        // From a stream without a system id: the document has no base URI to resolve against.
        Document document = builders.newDocumentBuilder().parse(new ByteArrayInputStream(data));
        NodeList elements = document.getElementsByTagName("*");
        for (int i = 0; i < elements.getLength(); i++) {
            Element element = (Element) elements.item(i);
            for (String[] id : ID_ATTRIBUTES) {
                Attr attribute = element.getAttributeNodeNS(id[0], id[1]);
                if (attribute != null) {
                    element.setIdAttributeNode(attribute, true);
                }
            }
        }
        Element signature = (Element) document.getElementsByTagNameNS(DS, "Signature").item(0);
        if (signature == null) {
            return "REFUSED no ds:Signature";
        }
        DOMValidateContext context = new DOMValidateContext(key, signature);
        context.setProperty("org.jcp.xml.dsig.secureValidation", Boolean.TRUE);
        XMLSignature xmlSignature = factory.unmarshalXMLSignature(context);
        if (xmlSignature.validate(context)) {
            return "OK verified";
        }
        if (!xmlSignature.getSignatureValue().validate(context)) {
            return "REFUSED the SignatureValue does not verify";
        }
        for (Object item : xmlSignature.getSignedInfo().getReferences()) {
            Reference reference = (Reference) item;
            if (!reference.validate(context)) {
                return "REFUSED the digest of Reference URI=" + reference.getURI()
                    + " does not match";
            }
        }
        return "REFUSED core validation failed";
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
