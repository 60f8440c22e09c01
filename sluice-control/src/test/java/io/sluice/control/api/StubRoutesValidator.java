package io.sluice.control.api;

import io.sluice.control.store.ConfigValidator;
import io.sluice.spec.problem.Problems;
import io.sluice.spec.problem.Suggest;
import io.sluice.spec.yaml.YNode;
import io.sluice.spec.yaml.YamlReader;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for the routes validator (which lives with the runtime): YAML with positions, a map
 * with a list of routes, each with a processor among three known ones; so 'fitler' is a located
 * problem like the real validator's.
 */
final class StubRoutesValidator implements ConfigValidator {
    /** The processors it knows; a test may remove one to make old versions invalid. */
    final List<String> known =
            new CopyOnWriteArrayList<>(List.of("filter", "project", "window-aggregate"));

    @Override
    public Problems validate(String file, String text) {
        Problems problems = new Problems();
        YNode root = YamlReader.read(file, text, problems);
        if (root == null) {
            return problems;
        }
        if (!(root instanceof YNode.YMap map)) {
            problems.add(root.pos(), "", "expected a map");
            return problems;
        }
        YNode routes = map.get("routes");
        if (!(routes instanceof YNode.YSeq seq)) {
            problems.add(
                    routes == null ? map.pos() : routes.pos(),
                    "routes",
                    "expected a list of routes");
            return problems;
        }
        for (int i = 0; i < seq.items().size(); i++) {
            if (seq.items().get(i) instanceof YNode.YMap route) {
                check(route, "routes[" + i + "]", problems);
            }
        }
        return problems;
    }

    private void check(YNode.YMap route, String path, Problems problems) {
        YNode p = route.get("processor");
        if (p == null) {
            problems.add(route.pos(), path + ".processor", "missing required key 'processor'");
        } else if (p instanceof YNode.YScalar s && !known.contains(s.value())) {
            problems.add(
                    s.pos(), path + ".processor", Suggest.unknown("processor", s.value(), known));
        }
    }
}
