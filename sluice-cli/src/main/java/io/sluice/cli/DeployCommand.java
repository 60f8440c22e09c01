package io.sluice.cli;

import io.sluice.cli.deploy.CrdValidator;
import io.sluice.cli.deploy.FlinkRest;
import io.sluice.cli.deploy.JobJar;
import io.sluice.cli.deploy.KubernetesFolder;
import io.sluice.cli.deploy.StandaloneCluster;
import io.sluice.spec.SpecLoader;
import io.sluice.spec.model.Spec;
import io.sluice.spec.plugin.PluginRegistry;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice deploy SPEC --target local|remote}: runs a spec on a Flink cluster. */
@Command(
        name = "deploy",
        mixinStandardHelpOptions = true,
        description = {
            "Run a spec on a Flink cluster: the job jar, with the spec packed into it, is uploaded"
                    + " over the cluster's REST API and started. 'sluice status' and 'sluice stop'"
                    + " follow it.",
            "--target local starts (or reuses) a standalone cluster on this machine"
                    + " (sluice cluster start); --target remote uses --rest URL; --target"
                    + " kubernetes writes a folder to apply: a FlinkDeployment for the Flink"
                    + " Kubernetes Operator, the spec as a ConfigMap, a Dockerfile.",
            "Relative paths in the spec resolve against its folder on this machine: on a remote"
                    + " cluster they must name files its TaskManagers can read."
        })
final class DeployCommand implements Callable<Integer> {
    @Parameters(paramLabel = "SPEC", description = "the spec file (YAML)")
    Path spec;

    @Option(
            names = "--target",
            paramLabel = "TARGET",
            description = "local (default), remote or kubernetes",
            defaultValue = "local")
    String target;

    @Mixin RestOption rest;

    @Option(
            names = "--output-dir",
            paramLabel = "DIR",
            description = "where file sinks write (default: sluice-out/NAME, made absolute)")
    Path outputDir;

    @ArgGroup(exclusive = false)
    Restore restore;

    @ArgGroup(exclusive = false, heading = "For --target kubernetes:%n")
    Kube kube = new Kube();

    static final class Kube {
        @Option(
                names = "--out",
                paramLabel = "DIR",
                description = "the folder to write (default: sluice-out/NAME-k8s)")
        Path out;

        @Option(
                names = "--image",
                paramLabel = "IMAGE",
                description =
                        "the image to run (default: sluice/NAME:HASH; the folder's Dockerfile builds it)")
        String image;

        @Option(names = "--namespace", paramLabel = "NS", description = "the namespace")
        String namespace;

        @Option(
                names = "--state-dir",
                paramLabel = "URI",
                description =
                        "shared, durable storage for checkpoints and savepoints, e.g."
                                + " s3://bucket/sluice (required)")
        String stateDir;

        @Option(
                names = "--jm-memory",
                paramLabel = "SIZE",
                description = "JobManager memory (default: ${DEFAULT-VALUE})")
        String jmMemory = "1600m";

        @Option(
                names = "--jm-cpu",
                paramLabel = "CPUS",
                description = "JobManager CPUs (default: ${DEFAULT-VALUE})")
        double jmCpu = 1;

        @Option(
                names = "--tm-memory",
                paramLabel = "SIZE",
                description = "TaskManager memory (default: ${DEFAULT-VALUE})")
        String tmMemory = "2048m";

        @Option(
                names = "--tm-cpu",
                paramLabel = "CPUS",
                description = "TaskManager CPUs (default: ${DEFAULT-VALUE})")
        double tmCpu = 1;

        @Option(
                names = "--slots",
                paramLabel = "N",
                description = "task slots per TaskManager (default: the spec's parallelism)")
        Integer slots;

        @Option(
                names = "--crd",
                paramLabel = "FILE",
                description =
                        "check the FlinkDeployment against this CRD (your cluster's: kubectl get crd"
                                + " flinkdeployments.flink.apache.org -o yaml > crd.yaml)")
        Path crd;
    }

    static final class Restore {
        @Option(
                names = "--from-savepoint",
                paramLabel = "PATH",
                required = true,
                description = "start from this savepoint's state")
        String savepoint;

        @Option(
                names = "--allow-non-restored-state",
                description = "start even when state in the savepoint has no operator to go to")
        boolean allowNonRestored;
    }

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec cmd;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = cmd.commandLine().getOut();
        PrintWriter err = cmd.commandLine().getErr();
        Spec s = SpecFiles.load(new SpecLoader(PluginRegistry.load()), spec, err);
        if (s == null) {
            return SluiceCli.BAD_SPEC;
        }
        if (target.equals("kubernetes")) {
            return kubernetes(s, out, err);
        }
        FlinkRest flink;
        Path work;
        switch (target) {
            case "local" -> {
                if (rest.url != null) {
                    err.println("--target local runs its own cluster: leave out --rest");
                    return SluiceCli.FAILED;
                }
                StandaloneCluster c =
                        ClusterCommand.startOrFind(
                                ClusterCommand.HOME,
                                Math.max(4, s.runtime().parallelism()),
                                s.runtime().parallelism(),
                                out);
                flink = new FlinkRest(c.restUrl());
                work = c.home().resolve("jars");
            }
            case "remote" -> {
                flink = rest.client();
                work = Path.of("sluice-out", "deploy");
            }
            default -> {
                err.println(
                        "--target: expected local, remote or kubernetes, found '" + target + "'");
                return SluiceCli.FAILED;
            }
        }
        Path output =
                (outputDir != null ? outputDir : Path.of("sluice-out", s.name())).toAbsolutePath();
        String job =
                submit(
                        flink,
                        s,
                        spec,
                        work,
                        output,
                        restore == null ? null : restore.savepoint,
                        restore != null && restore.allowNonRestored);
        out.printf(
                "deployed %s (spec hash %s) as job %s on %s%s%n",
                s.name(),
                s.hash(),
                job,
                flink.url(),
                restore == null ? "" : ", from savepoint " + restore.savepoint);
        out.printf("  web UI: %s/#/job/running/%s%n", flink.url(), job);
        out.printf("  follow it: ./sluice status %s   stop it: ./sluice stop %s%n", job, job);
        return 0;
    }

    /**
     * Uploads the job jar holding {@code specFile} and runs it, from {@code savepoint} when not
     * null (file sinks then append to {@code output}); returns the job id.
     */
    static String submit(
            FlinkRest flink,
            Spec s,
            Path specFile,
            Path work,
            Path output,
            String savepoint,
            boolean allowNonRestored)
            throws java.io.IOException {
        Path jar =
                JobJar.withSpec(
                        specFile,
                        specFile.getFileName().toString(),
                        s.hash().substring(0, 10),
                        work);
        String jarId = flink.upload(jar);
        try {
            return flink.run(
                    jarId,
                    JobJar.ENTRY_CLASS,
                    List.of(
                            "--spec-dir",
                            specFile.toAbsolutePath().getParent().toString(),
                            "--output-dir",
                            output.toString(),
                            "--resumed",
                            Boolean.toString(savepoint != null)),
                    savepoint,
                    allowNonRestored);
        } finally {
            // 50 MB per deploy would pile up, here and in the cluster's upload folder; the job
            // has its own copy from the cluster's blob store
            java.nio.file.Files.deleteIfExists(jar);
            try {
                flink.deleteJar(jarId);
            } catch (java.io.IOException e) {
                // the run's own outcome matters more than a leftover upload
            }
        }
    }

    private int kubernetes(Spec s, PrintWriter out, PrintWriter err) throws Exception {
        if (kube.stateDir == null) {
            err.println(
                    "--target kubernetes needs --state-dir URI: storage every pod shares and that"
                            + " outlives them, e.g. s3://my-bucket/sluice");
            return SluiceCli.FAILED;
        }
        Spec.StateSettings st = s.runtime().state();
        for (String d : new String[] {st.checkpointDir(), st.savepointDir()}) {
            if (d != null && !d.matches("[A-Za-z][A-Za-z0-9+.-]*://.*")) {
                // the job sets the spec's folders itself, over the deployment's configuration;
                // a relative one would land in the read-only ConfigMap mount
                err.println(
                        "the spec keeps state in the local folder '"
                                + d
                                + "' (runtime.checkpoint-dir / savepoint-dir): on Kubernetes"
                                + " leave them out (--state-dir places them) or give URIs such as"
                                + " s3://bucket/path");
                return SluiceCli.BAD_SPEC;
            }
        }
        String name = KubernetesFolder.name(s.name());
        Path dir = kube.out != null ? kube.out : Path.of("sluice-out", name + "-k8s");
        String image =
                kube.image != null
                        ? kube.image
                        : "sluice/" + name + ":" + s.hash().substring(0, 10);
        KubernetesFolder.Settings settings =
                new KubernetesFolder.Settings(
                        image,
                        kube.namespace,
                        kube.stateDir.replaceAll("/+$", "") + "/" + name,
                        kube.jmMemory,
                        kube.jmCpu,
                        kube.tmMemory,
                        kube.tmCpu,
                        kube.slots != null ? kube.slots : s.runtime().parallelism());
        com.fasterxml.jackson.databind.JsonNode fd = KubernetesFolder.write(s, spec, settings, dir);
        out.printf(
                "wrote %s: flinkdeployment.yaml (%s), configmap.yaml, kustomization.yaml,"
                        + " Dockerfile, sluice-job.jar, README.md%n",
                dir, name);
        if (kube.crd != null) {
            CrdValidator v = CrdValidator.of(kube.crd, "v1beta1");
            List<String> problems = v.validate(fd);
            if (!problems.isEmpty()) {
                for (String p : problems) {
                    err.println(dir.resolve("flinkdeployment.yaml") + ": " + p);
                }
                err.printf(
                        "%d problem(s) against %s (%s)%n", problems.size(), kube.crd, v.crdName());
                return SluiceCli.FAILED;
            }
            out.printf("valid against %s (%s, v1beta1)%n", kube.crd, v.crdName());
        }
        out.printf(
                "next: docker build -t %s %s && docker push %s && kubectl apply -k %s%n",
                image, dir, image, dir);
        return 0;
    }
}
