package io.sluice.runtime.route;

/**
 * The control stream's one message: a config version, as its document text, broadcast to every task
 * of the routing stages. Versions only move forward; a rollback arrives as a new version equal to
 * an old one. A Flink POJO, so it is serialized without Kryo.
 */
public final class ConfigUpdate {
    public static final org.apache.flink.api.common.typeinfo.TypeInformation<ConfigUpdate> TYPE =
            org.apache.flink.api.common.typeinfo.TypeInformation.of(ConfigUpdate.class);

    public long version;
    public String text;
    public String author;

    /** When the store committed it (epoch ms), for propagation measurements. */
    public long committedAt;

    public ConfigUpdate() {}

    public ConfigUpdate(long version, String text, String author, long committedAt) {
        this.version = version;
        this.text = text;
        this.author = author;
        this.committedAt = committedAt;
    }

    @Override
    public String toString() {
        return "config version " + version + " by " + author;
    }
}
