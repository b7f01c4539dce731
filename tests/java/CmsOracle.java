// BouncyCastle's CMS EnvelopedData readers, as Digdir's Java clients and mailbox providers open
// a DPI document package (RSAES-OAEP key transport, AES-256-CBC content). The first two
// arguments are the recipient's private key (PKCS#8, DER) and certificate (DER or PEM); every
// other argument is one package, read three ways:
//   bytes   new CMSEnvelopedData(bytes), the RecipientInformation for the certificate
//           (getRecipientInfos().get(new JceKeyTransRecipientId(cert))), getContent(...)
//   stream  new CMSEnvelopedDataParser(stream), the same recipient, getContentStream(...) read
//           to its end: what a streaming client does
//   first   new CMSEnvelopedDataParser(stream), the first RecipientInformation whatever it
//           names, its content stream read to its end: Digdir's efm-common
//           (DecryptCMSDocument) reads a package so
// each with new JceKeyTransEnvelopedRecipient(key).setProvider(BouncyCastleProvider). One line
// per package:
//   OK bytes=<reading> stream=<reading> first=<reading>        bytes and stream both read it
//   REFUSED bytes=<reading> stream=<reading> first=<reading>   either of the two threw
// A reading is "read:<length>:<sha256-hex>" of the content, or "<ExceptionClass>:<message>"
// (the message, and its cause's, URL-encoded in UTF-8), so a line holds no space or newline but
// those it is made of. "first" does not decide OK or REFUSED.
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Security;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Iterator;
import org.bouncycastle.cms.CMSEnvelopedData;
import org.bouncycastle.cms.CMSEnvelopedDataParser;
import org.bouncycastle.cms.Recipient;
import org.bouncycastle.cms.RecipientId;
import org.bouncycastle.cms.RecipientInformation;
import org.bouncycastle.cms.jcajce.JceKeyTransEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientId;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

public class CmsOracle {
    private static final BouncyCastleProvider BC = new BouncyCastleProvider();

    private interface Reading {
        String read(Path file) throws Exception;
    }

    private static PrivateKey privateKey;
    private static RecipientId recipientId;

    private static String encoded(String text) {
        return URLEncoder.encode(String.valueOf(text), StandardCharsets.UTF_8);
    }

    private static Recipient recipient() {
        return new JceKeyTransEnvelopedRecipient(privateKey).setProvider(BC);
    }

    /** "read:<length>:<sha256>" of everything {@code in} gives. */
    private static String digest(InputStream in) throws Exception {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[8192];
        long length = 0;
        for (int n = in.read(buffer); n != -1; n = in.read(buffer)) {
            sha256.update(buffer, 0, n);
            length += n;
        }
        StringBuilder hex = new StringBuilder("read:").append(length).append(':');
        for (byte b : sha256.digest()) {
            hex.append(Character.forDigit((b >> 4) & 0xF, 16));
            hex.append(Character.forDigit(b & 0xF, 16));
        }
        return hex.toString();
    }

    private static RecipientInformation ours(RecipientInformation info) {
        if (info == null) {
            throw new IllegalStateException("no RecipientInfo for the certificate");
        }
        return info;
    }

    private static String whole(Path file) throws Exception {
        CMSEnvelopedData enveloped = new CMSEnvelopedData(Files.readAllBytes(file));
        RecipientInformation info = ours(enveloped.getRecipientInfos().get(recipientId));
        return digest(new ByteArrayInputStream(info.getContent(recipient())));
    }

    private static String streamed(Path file, boolean first) throws Exception {
        try (InputStream in = new BufferedInputStream(new FileInputStream(file.toFile()))) {
            CMSEnvelopedDataParser parser = new CMSEnvelopedDataParser(in);
            try {
                RecipientInformation info;
                if (first) {
                    Iterator<RecipientInformation> all =
                            parser.getRecipientInfos().getRecipients().iterator();
                    if (!all.hasNext()) {
                        throw new IllegalArgumentException("no recipients");
                    }
                    info = all.next();
                } else {
                    info = ours(parser.getRecipientInfos().get(recipientId));
                }
                try (InputStream content = info.getContentStream(recipient()).getContentStream()) {
                    return digest(content);
                }
            } finally {
                parser.close();
            }
        }
    }

    private static String attempt(Reading reading, Path file) {
        try {
            return reading.read(file);
        } catch (Exception | StackOverflowError | OutOfMemoryError e) {
            String message = String.valueOf(e.getMessage());
            Throwable cause = e.getCause();
            if (cause != null && cause != e) {
                message += " <- " + cause.getClass().getSimpleName() + ": " + cause.getMessage();
            }
            return e.getClass().getSimpleName() + ":" + encoded(message);
        }
    }

    public static void main(String[] args) throws Exception {
        Security.addProvider(BC);
        privateKey =
                KeyFactory.getInstance("RSA")
                        .generatePrivate(
                                new PKCS8EncodedKeySpec(Files.readAllBytes(Path.of(args[0]))));
        X509Certificate certificate;
        try (InputStream in = new FileInputStream(args[1])) {
            certificate =
                    (X509Certificate)
                            CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        recipientId = new JceKeyTransRecipientId(certificate);
        StringBuilder lines = new StringBuilder();
        for (int i = 2; i < args.length; i++) {
            Path file = Path.of(args[i]);
            String bytes = attempt(CmsOracle::whole, file);
            String stream = attempt(f -> streamed(f, false), file);
            String first = attempt(f -> streamed(f, true), file);
            boolean read = bytes.startsWith("read:") && stream.startsWith("read:");
            lines.append(read ? "OK" : "REFUSED")
                    .append(" bytes=")
                    .append(bytes)
                    .append(" stream=")
                    .append(stream)
                    .append(" first=")
                    .append(first)
                    .append('\n');
        }
        System.out.print(lines);
    }
}
