// The JDK's XML Schema validator (Xerces, as phase4 and Oxalis validate): one verdict line per
// document, "OK valid" or "REFUSED <the first error>". Arguments: the schema file, then the
// documents. External entities and DTDs are refused, as a hardened reader has them.
import java.io.File;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;
import javax.xml.validation.Validator;
import org.w3c.dom.Document;

public class XsdOracle {
    public static void main(String[] args) throws Exception {
        SchemaFactory factory = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI);
        Schema schema = factory.newSchema(new File(args[0]));
        DocumentBuilderFactory builders = DocumentBuilderFactory.newInstance();
        builders.setNamespaceAware(true);
        builders.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        StringBuilder out = new StringBuilder();
        for (int i = 1; i < args.length; i++) {
            String verdict;
            try {
                Document document = builders.newDocumentBuilder().parse(new File(args[i]));
                Validator validator = schema.newValidator();
                validator.validate(new DOMSource(document));
                verdict = "OK valid";
            } catch (Exception e) {
                String message = String.valueOf(e.getMessage()).replace('\n', ' ').replace('\r', ' ');
                verdict = "REFUSED " + e.getClass().getSimpleName() + ": " + message;
            }
            out.append(verdict).append('\n');
        }
        System.out.print(out);
    }
}
