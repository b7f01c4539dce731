// The JDK's PKIX certification path validator (java.security.cert.CertPathValidator "PKIX", on
// which phase4 and Oxalis build): one verdict line per document, "OK <how>" or
// "REFUSED <reason>". Arguments: the documents.
//
// A document is UTF-8 text, one item a line:
//   at <instant>          the validation instant (ISO-8601, e.g. 2030-01-01T00:00:00Z)
//   usage <bit> ...       key usages the leaf must allow (names as in KeyUsage below; may be empty)
//   anchor <base64 DER>   a trust anchor (any number)
//   leaf <base64 DER>     the certificate to validate (exactly one)
//   chain <base64 DER>    a certificate that came with the leaf, in the order given
//   pool <base64 DER>     a certificate available for path building only (not sent by the peer)
//
// PKIXParameters: the anchors (TrustAnchor of each certificate, no name constraints on them),
// revocation off, the date set, the required key usages as target certificate constraints
// (X509CertSelector.setKeyUsage: a leaf without the extension matches), every policy setting at
// its default (any policy, explicit policy not required, mapping and anyPolicy not inhibited,
// policy qualifiers in a critical certificatePolicies extension rejected).
//
// The path is first validated as the peer sent it (leaf, then the chain in its order). If that
// fails, CertPathBuilder "PKIX" looks for a path from the leaf to an anchor through the chain and
// pool certificates (PKIXBuilderParameters: the same settings, no limit on the path length), and
// the path it finds is validated by the CertPathValidator again. The verdict is OK if either
// validates; a refusal gives the validator's reason on the path as sent and the builder's.
import java.io.ByteArrayInputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.cert.CertPath;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXCertPathBuilderResult;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

public class PkixOracle {
    // RFC 5280 4.2.1.3, in the order of java.security.cert.X509Certificate.getKeyUsage().
    static final List<String> KEY_USAGE = List.of(
        "digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
        "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only");

    /** One parsed document. */
    static final class Case {
        Date at;
        boolean[] usage;
        final Set<TrustAnchor> anchors = new HashSet<>();
        X509Certificate leaf;
        final List<X509Certificate> chain = new ArrayList<>();
        final List<X509Certificate> pool = new ArrayList<>();
    }

    public static void main(String[] args) throws Exception {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        StringBuilder out = new StringBuilder();
        for (String arg : args) {
            String text = new String(Files.readAllBytes(new File(arg).toPath()), StandardCharsets.UTF_8);
            String verdict;
            try {
                verdict = validate(factory, parse(factory, text));
            } catch (Exception e) {
                verdict = "REFUSED " + describe(e);
            }
            out.append(verdict.replace('\n', ' ').replace('\r', ' ')).append('\n');
        }
        System.out.print(out);
    }

    static Case parse(CertificateFactory factory, String text) throws Exception {
        Case c = new Case();
        for (String line : text.split("\n")) {
            String[] words = line.trim().split(" ");
            String role = words[0];
            if (role.equals("at")) {
                c.at = Date.from(Instant.parse(words[1]));
            } else if (role.equals("usage")) {
                c.usage = new boolean[KEY_USAGE.size()];
                for (int i = 1; i < words.length; i++) {
                    int bit = KEY_USAGE.indexOf(words[i]);
                    if (bit < 0) {
                        throw new IllegalArgumentException("harness: unknown key usage " + words[i]);
                    }
                    c.usage[bit] = true;
                }
            } else {
                X509Certificate cert;
                try {
                    cert = (X509Certificate) factory.generateCertificate(
                        new ByteArrayInputStream(Base64.getDecoder().decode(words[1])));
                } catch (Exception e) {
                    throw new Exception("cannot read the " + role + ": " + describe(e));
                }
                switch (role) {
                    case "anchor": c.anchors.add(new TrustAnchor(cert, null)); break;
                    case "leaf": c.leaf = cert; break;
                    case "chain": c.chain.add(cert); break;
                    case "pool": c.pool.add(cert); break;
                    default: throw new IllegalArgumentException("harness: unknown role " + role);
                }
            }
        }
        if (c.at == null || c.leaf == null || c.anchors.isEmpty()) {
            throw new IllegalArgumentException("harness: a document needs at, leaf and anchor");
        }
        return c;
    }

    // The parameters with revocation off and the date set; the target constraints are the required
    // key usages and, when a leaf is given (for the builder), that certificate.
    static <P extends PKIXParameters> P configured(P params, Case c, X509Certificate leaf) {
        params.setRevocationEnabled(false);
        params.setDate(c.at);
        X509CertSelector target = new X509CertSelector();
        target.setCertificate(leaf);
        target.setKeyUsage(c.usage);
        params.setTargetCertConstraints(target);
        return params;
    }

    static String validate(CertificateFactory factory, Case c) throws Exception {
        CertPathValidator validator = CertPathValidator.getInstance("PKIX");
        PKIXParameters params = configured(new PKIXParameters(c.anchors), c, null);
        List<X509Certificate> sent = new ArrayList<>();
        sent.add(c.leaf);
        sent.addAll(c.chain);
        String asSent;
        try {
            validator.validate(factory.generateCertPath(sent), params);
            return "OK as sent (" + sent.size() + " certificates)";
        } catch (CertPathValidatorException e) {
            asSent = describe(e);
        }
        PKIXBuilderParameters building =
            configured(new PKIXBuilderParameters(c.anchors, new X509CertSelector()), c, c.leaf);
        building.setMaxPathLength(-1);
        List<X509Certificate> everything = new ArrayList<>(sent);
        everything.addAll(c.pool);
        building.addCertStore(
            CertStore.getInstance("Collection", new CollectionCertStoreParameters(everything)));
        try {
            PKIXCertPathBuilderResult built =
                (PKIXCertPathBuilderResult) CertPathBuilder.getInstance("PKIX").build(building);
            CertPath path = built.getCertPath();
            validator.validate(path, params);
            return "OK built (" + path.getCertificates().size() + " certificates below the anchor)";
        } catch (Exception e) {
            return "REFUSED as sent: " + asSent + "; built: " + describe(e);
        }
    }

    static String describe(Throwable e) {
        StringBuilder text = new StringBuilder(e.getClass().getSimpleName()).append(": ")
            .append(e.getMessage());
        if (e instanceof CertPathValidatorException) {
            CertPathValidatorException cpve = (CertPathValidatorException) e;
            text.append(" [reason ").append(cpve.getReason())
                .append(", index ").append(cpve.getIndex()).append(']');
        }
        Throwable cause = e.getCause();
        if (cause != null && cause != e && cause.getMessage() != null
                && (e.getMessage() == null || !e.getMessage().contains(cause.getMessage()))) {
            text.append(" (").append(cause.getClass().getSimpleName()).append(": ")
                .append(cause.getMessage()).append(')');
        }
        return text.toString();
    }
}
