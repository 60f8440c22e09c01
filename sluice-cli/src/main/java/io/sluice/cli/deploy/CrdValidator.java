package io.sluice.cli.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.oas.OpenApi30;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Checks a manifest against a CustomResourceDefinition's {@code openAPIV3Schema}, as the API server
 * would: types, enums and required fields with the OpenAPI 3.0 dialect, and fields the schema does
 * not declare (which the server prunes or, with field validation, refuses) by walking it, honouring
 * {@code x-kubernetes-preserve-unknown-fields}.
 */
public final class CrdValidator {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private final JsonNode schema;
    private final String crd;

    private CrdValidator(JsonNode schema, String crd) {
        this.schema = schema;
        this.crd = crd;
    }

    /** The schema of {@code version} in the CRD file. */
    public static CrdValidator of(Path crdFile, String version) throws IOException {
        JsonNode crd = YAML.readTree(crdFile.toFile());
        if (!"CustomResourceDefinition".equals(crd.path("kind").asText())) {
            throw new IOException(crdFile + " is not a CustomResourceDefinition");
        }
        for (JsonNode v : crd.path("spec").path("versions")) {
            if (version.equals(v.path("name").asText())) {
                JsonNode s = v.path("schema").path("openAPIV3Schema");
                if (s.isMissingNode()) {
                    break;
                }
                return new CrdValidator(s, crd.path("metadata").path("name").asText());
            }
        }
        throw new IOException(crdFile + " has no openAPIV3Schema for version " + version);
    }

    /** Every problem, as {@code PATH: MESSAGE}; empty when the manifest fits. */
    public List<String> validate(JsonNode manifest) {
        if (!manifest.isObject()) {
            return List.of("$: expected an object, found " + manifest.getNodeType());
        }
        TreeSet<String> out = new TreeSet<>();
        JsonSchemaFactory factory =
                JsonSchemaFactory.getInstance(
                        SpecVersion.VersionFlag.V4,
                        b ->
                                b.metaSchema(OpenApi30.getInstance())
                                        .defaultMetaSchemaIri(OpenApi30.getInstance().getIri()));
        ObjectNode withDialect = schema.deepCopy();
        JsonSchema s = factory.getSchema(withDialect);
        for (ValidationMessage m : s.validate(manifest)) {
            out.add(m.getInstanceLocation() + ": " + m.getMessage());
        }
        // every object has apiVersion, kind and metadata, which CRD schemas need not declare
        ObjectNode body = manifest.deepCopy();
        body.remove(List.of("apiVersion", "kind", "metadata"));
        unknown(body, schema, "$", out);
        return new ArrayList<>(out);
    }

    public String crdName() {
        return crd;
    }

    /** Fields the schema does not declare, where it declares properties. */
    private static void unknown(JsonNode value, JsonNode schema, String path, TreeSet<String> out) {
        if (schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
            return;
        }
        if (value.isObject()) {
            JsonNode props = schema.get("properties");
            JsonNode additional = schema.get("additionalProperties");
            Iterator<Map.Entry<String, JsonNode>> it = value.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                String p = path + "." + e.getKey();
                if (props != null && props.has(e.getKey())) {
                    unknown(e.getValue(), props.get(e.getKey()), p, out);
                } else if (additional != null && additional.isObject()) {
                    unknown(e.getValue(), additional, p, out);
                } else if (props != null || (additional != null && !additional.asBoolean(true))) {
                    out.add(p + ": unknown field \"" + e.getKey() + "\" (the API server drops it)");
                }
            }
        } else if (value.isArray() && schema.has("items")) {
            for (int i = 0; i < value.size(); i++) {
                unknown(value.get(i), schema.get("items"), path + "[" + i + "]", out);
            }
        }
    }
}
