package io.sluice.control.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.control.store.StoreLocation.Kind;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class StoreLocationTest {

    @Test
    void pathsAndFileUrisAreFileStores() {
        Path cwd = Path.of("").toAbsolutePath();
        assertThat(StoreLocation.parse("file:/srv/sluice/config").directory())
                .isEqualTo(Path.of("/srv/sluice/config"));
        assertThat(StoreLocation.parse("file:///srv/sluice/config").directory())
                .isEqualTo(Path.of("/srv/sluice/config"));
        assertThat(StoreLocation.parse("file:config").directory()).isEqualTo(cwd.resolve("config"));
        assertThat(StoreLocation.parse("  ./live/../config ").directory())
                .isEqualTo(cwd.resolve("config"));
        assertThat(StoreLocation.parse("/srv/x").kind()).isEqualTo(Kind.FILE);
    }

    @Test
    void jdbcUrlsChooseTheirVendor() {
        assertThat(StoreLocation.parse("jdbc:mariadb://db:3306/sluice").kind())
                .isEqualTo(Kind.MARIADB);
        assertThat(StoreLocation.parse("jdbc:mysql://db:3306/sluice").kind())
                .isEqualTo(Kind.MARIADB);
        assertThat(StoreLocation.parse("jdbc:postgresql://db/sluice").kind())
                .isEqualTo(Kind.POSTGRESQL);
        assertThatThrownBy(() -> StoreLocation.parse("jdbc:postgresql://db/sluice").directory())
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void whatNoStoreCanOpenIsRefusedWithTheAlternatives() {
        assertThatThrownBy(() -> StoreLocation.parse("jdbc:oracle:thin:@db:1521/x?password=s3cret"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "unsupported config store 'jdbc:oracle:thin:@db:1521/x?password=***'"
                                + " (known: file:DIR or a directory, jdbc:mariadb:, jdbc:mysql:,"
                                + " jdbc:postgresql:)");
        assertThatThrownBy(() -> StoreLocation.parse("s3://bucket/config"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StoreLocation.parse(" "))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void passwordsAreNeverShown() {
        StoreLocation inQuery =
                StoreLocation.parse(
                        "jdbc:postgresql://db/sluice?user=ann&password=s3cret&ssl=true");
        assertThat(inQuery.redactedUri())
                .isEqualTo("jdbc:postgresql://db/sluice?user=ann&password=***&ssl=true");
        StoreLocation inAuthority = StoreLocation.parse("jdbc:mariadb://ann:s3cret@db:3306/sluice");
        assertThat(inAuthority.redactedUri()).isEqualTo("jdbc:mariadb://ann:***@db:3306/sluice");
        StoreLocation apart =
                StoreLocation.parse("jdbc:mariadb://db/sluice").withCredentials("ann", "s3cret");
        assertThat(apart.toString()).isEqualTo("jdbc:mariadb://db/sluice (user ann)");
        assertThat(inQuery.toString()).doesNotContain("s3cret");
    }

    @Test
    void survivesJavaSerialization() throws Exception {
        StoreLocation location =
                StoreLocation.parse("jdbc:mariadb://db/sluice").withCredentials("ann", "pw");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(location);
        }
        try (ObjectInputStream in =
                new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertThat(in.readObject()).isEqualTo(location);
        }
    }
}
