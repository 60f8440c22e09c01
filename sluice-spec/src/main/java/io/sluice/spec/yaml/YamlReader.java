package io.sluice.spec.yaml;

import io.sluice.spec.problem.Problems;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/** Reads YAML into {@link YNode}s with positions; syntax errors and duplicate keys are problems. */
public final class YamlReader {
    private YamlReader() {}

    /** Returns the root node, or null when the text could not be parsed (the problem is added). */
    public static YNode read(String file, String text, Problems problems) {
        LoadSettings settings =
                LoadSettings.builder()
                        .setLabel(file)
                        .setAllowDuplicateKeys(true)
                        .setUseMarks(true)
                        .build();
        try {
            Optional<Node> root = new Compose(settings).composeString(text);
            if (root.isEmpty()) {
                problems.add(new Pos(file, 1, 1), "", "the file is empty");
                return null;
            }
            return convert(file, text, root.get(), "", problems);
        } catch (MarkedYamlEngineException e) {
            Pos pos = e.getProblemMark().map(m -> pos(file, m)).orElse(new Pos(file, 1, 1));
            problems.add(pos, "", "YAML syntax: " + e.getProblem());
            return null;
        } catch (YamlEngineException e) {
            problems.add(new Pos(file, 1, 1), "", "YAML syntax: " + e.getMessage());
            return null;
        }
    }

    /** The first content line after a block indicator at {@code indicator}, at its indentation. */
    private static Pos blockContent(String file, String text, Pos indicator) {
        String[] lines = text.split("\n", -1);
        for (int l = indicator.line(); l < lines.length; l++) {
            String line = lines[l];
            if (!line.isBlank()) {
                int indent = 0;
                while (indent < line.length() && line.charAt(indent) == ' ') {
                    indent++;
                }
                return new Pos(file, l + 1, indent + 1);
            }
        }
        return indicator;
    }

    private static Pos pos(String file, Mark m) {
        return new Pos(file, m.getLine() + 1, m.getColumn() + 1);
    }

    private static Pos pos(String file, Node n) {
        return n.getStartMark().map(m -> pos(file, m)).orElse(new Pos(file, 0, 0));
    }

    private static YNode convert(
            String file, String text, Node node, String path, Problems problems) {
        Pos pos = pos(file, node);
        if (node instanceof MappingNode map) {
            Map<String, YNode.YMap.Entry> entries = new LinkedHashMap<>();
            for (NodeTuple t : map.getValue()) {
                Pos keyPos = pos(file, t.getKeyNode());
                if (!(t.getKeyNode() instanceof ScalarNode k)) {
                    problems.add(
                            keyPos,
                            path,
                            "keys must be plain words, found " + t.getKeyNode().getNodeType());
                    continue;
                }
                String key = k.getValue();
                String childPath = path.isEmpty() ? key : path + "." + key;
                if (entries.containsKey(key)) {
                    problems.add(
                            keyPos,
                            childPath,
                            "duplicate key '"
                                    + key
                                    + "' (first at line "
                                    + entries.get(key).keyPos().line()
                                    + ")");
                    continue;
                }
                entries.put(
                        key,
                        new YNode.YMap.Entry(
                                key,
                                keyPos,
                                convert(file, text, t.getValueNode(), childPath, problems)));
            }
            return new YNode.YMap(pos, entries);
        }
        if (node instanceof SequenceNode seq) {
            List<YNode> items = new ArrayList<>();
            int i = 0;
            for (Node item : seq.getValue()) {
                items.add(convert(file, text, item, path + "[" + i++ + "]", problems));
            }
            return new YNode.YSeq(pos, items);
        }
        ScalarNode s = (ScalarNode) node;
        ScalarStyle style = s.getScalarStyle();
        boolean quoted = style == ScalarStyle.DOUBLE_QUOTED || style == ScalarStyle.SINGLE_QUOTED;
        boolean isNull = !quoted && Tag.NULL.equals(s.getTag());
        Pos content = quoted ? pos.shift(0, 1) : pos;
        if (style == ScalarStyle.LITERAL || style == ScalarStyle.FOLDED) {
            content = blockContent(file, text, pos);
        }
        return new YNode.YScalar(pos, s.getValue(), quoted, isNull, content);
    }
}
