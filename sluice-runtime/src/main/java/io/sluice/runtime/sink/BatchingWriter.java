package io.sluice.runtime.sink;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sink writer for an external store that takes writes in batches (Redis, a database): records are
 * turned into operations and buffered; the buffer is written when it is full, when an operation
 * asks for it, {@code max-delay} after the first buffered one, and before every checkpoint
 * completes, so a checkpoint covers only what the store has. A batch that fails because the store
 * cannot be reached is written again whole, with backoff, until it succeeds or {@code retry-for}
 * has passed (then the task fails and restarts from its last checkpoint); the task waits meanwhile,
 * so the job slows down and nothing is dropped. Operations must therefore be safe to repeat.
 *
 * @param <O> one operation on the store
 */
public abstract class BatchingWriter<O> implements SinkWriter<SinkRecord> {
    private static final Logger LOG = LoggerFactory.getLogger(BatchingWriter.class);

    private final String sinkId;
    private final ProcessingTimeService time;
    private final int batchSize;
    private final long maxDelayMillis;
    private final long retryForMillis;
    private final List<O> buffer = new ArrayList<>();
    private boolean timerSet;
    private Rejects rejects;

    /**
     * Where records the store refuses for good go (see {@link RejectingSink}): the original record,
     * why, the field at fault when known, and the config version that produced it.
     */
    public interface Rejects {
        void reject(byte[] payload, String message, String field, long configVersion);
    }

    /** Records refused for good go to {@code rejects} from now on, instead of failing the task. */
    public void rejectTo(Rejects rejects) {
        this.rejects = rejects;
    }

    /** Where refused records go, or null: a refused record fails the task. */
    protected Rejects rejects() {
        return rejects;
    }

    protected BatchingWriter(
            String sinkId,
            ProcessingTimeService time,
            int batchSize,
            long maxDelayMillis,
            long retryForMillis) {
        this.sinkId = sinkId;
        this.time = time;
        this.batchSize = batchSize;
        this.maxDelayMillis = maxDelayMillis;
        this.retryForMillis = retryForMillis;
    }

    /** The operation a record stands for; a record the sink cannot take throws. */
    protected abstract O operation(SinkRecord record) throws IOException;

    /** Whether this operation's batch goes at once (readers wait for it). */
    protected boolean urgent(O operation) {
        return false;
    }

    /**
     * Writes the batch once. Returns null when it was written, or why it must be written again (the
     * store cannot be reached, is restarting, ...); throws an {@link IOException} when the store
     * refuses it for good.
     */
    protected abstract String writeOnce(List<O> batch) throws IOException;

    /** Where the writes go, for messages. */
    protected abstract String target();

    @Override
    public void write(SinkRecord record, Context context) throws IOException, InterruptedException {
        O op = operation(record);
        buffer.add(op);
        if (urgent(op) || buffer.size() >= batchSize) {
            writeBuffer();
        } else if (!timerSet) {
            timerSet = true;
            time.registerTimer(
                    time.getCurrentProcessingTime() + maxDelayMillis,
                    t -> {
                        timerSet = false;
                        writeBuffer();
                    });
        }
    }

    @Override
    public void flush(boolean endOfInput) throws IOException, InterruptedException {
        writeBuffer();
    }

    private void writeBuffer() throws IOException, InterruptedException {
        if (buffer.isEmpty()) {
            return;
        }
        long giveUp = System.currentTimeMillis() + retryForMillis;
        long backoff = 50;
        for (int attempt = 1; ; attempt++) {
            String problem = writeOnce(buffer);
            if (problem == null) {
                buffer.clear();
                return;
            }
            if (System.currentTimeMillis() + backoff > giveUp) {
                throw new IOException(
                        "sink '"
                                + sinkId
                                + "': "
                                + target()
                                + " still failing after "
                                + Duration.ofMillis(retryForMillis)
                                + ": "
                                + problem);
            }
            if (attempt == 1 || attempt % 20 == 0) {
                LOG.warn(
                        "sink '{}': writing {} records to {} failed ({}); retrying",
                        sinkId,
                        buffer.size(),
                        target(),
                        problem);
            }
            Thread.sleep(backoff);
            backoff = Math.min(backoff * 2, 2000);
        }
    }
}
