package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** {@code --k3s-pull} / {@code K3S_PULL}: its values, its default, and what each pulls. */
class K3sPullTest {

    @Test
    void theValuesParseInAnyCase() {
        assertThat(K3sPull.parse("always")).isEqualTo(K3sPull.ALWAYS);
        assertThat(K3sPull.parse("missing")).isEqualTo(K3sPull.MISSING);
        assertThat(K3sPull.parse(" Never ")).isEqualTo(K3sPull.NEVER);
        assertThat(K3sPull.NEVER.id()).isEqualTo("never");
    }

    @Test
    void anythingElseIsAUsageErrorNamingTheChoices() {
        assertThatThrownBy(() -> K3sPull.parse("sometimes"))
                .isInstanceOfSatisfying(TestbedException.class, e -> assertThat(e.exitCode()).isEqualTo(2))
                .hasMessage("--k3s-pull: sometimes (expected: always, missing or never)");
        assertThatThrownBy(() -> K3sPull.parse("")).hasMessage("--k3s-pull:  (expected: always, missing or never)");
    }

    @Test
    void upPullsWhenMissingByDefault() {
        assertThat(K3sPull.DEFAULT).isEqualTo(K3sPull.MISSING);
        assertThat(Testbed.UpOptions.k3s().k3sPull()).isEqualTo(K3sPull.MISSING);
        assertThat(Testbed.UpOptions.k3s().withK3sPull(K3sPull.NEVER).withName("x").k3sPull()).isEqualTo(K3sPull.NEVER);
    }

    @Test
    void eachPolicyPullsWhenItSays() {
        assertThat(K3sPull.MISSING.pulls(false)).isTrue();
        assertThat(K3sPull.MISSING.pulls(true)).isFalse();
        assertThat(K3sPull.ALWAYS.pulls(true)).isTrue();
        assertThat(K3sPull.ALWAYS.pulls(false)).isTrue();
        assertThat(K3sPull.NEVER.pulls(false)).isFalse();
        assertThat(K3sPull.NEVER.pulls(true)).isFalse();
    }

    @Test
    void theK3sTestsPullOnlyWhenK3sPullAsks() {
        assertThat(K3sSuite.pullFrom(null)).as("unset: make test does not wait on a pull").isEqualTo(K3sPull.NEVER);
        assertThat(K3sSuite.pullFrom(" ")).isEqualTo(K3sPull.NEVER);
        assertThat(K3sSuite.pullFrom("missing")).isEqualTo(K3sPull.MISSING);
        assertThat(K3sSuite.pullFrom("always")).isEqualTo(K3sPull.ALWAYS);
    }
}
