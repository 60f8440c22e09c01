package io.sluice.spec.problem;

import io.sluice.spec.yaml.Pos;

/** One located problem: {@code FILE:LINE:COL: PATH: MESSAGE}. */
public record Problem(Pos pos, String path, String message) {
    @Override
    public String toString() {
        return path == null || path.isEmpty()
                ? pos + ": " + message
                : pos + ": " + path + ": " + message;
    }
}
