package dev.meshbed.loadtests.simulations;

import io.gatling.commons.stats.KO$;
import io.gatling.commons.stats.OK$;
import io.gatling.core.action.Action;
import io.gatling.core.session.Session;
import io.gatling.core.stats.StatsEngine;
import io.gatling.core.structure.ScenarioContext;
import io.gatling.javaapi.core.ActionBuilder;
import java.util.function.BiFunction;
import org.slf4j.LoggerFactory;
import scala.Option;

/**
 * A step that writes one row of its own into Gatling's statistics, with a name chosen after the
 * fact: the response's version ({@code x-version=v1}) or the verdict. This is how the HTML report
 * gets a row per version without counting a request twice: the real request is {@code silent()},
 * and this row stands for it, with its response time.
 *
 * <p>Gatling's actions are Scala traits; this implements the one {@link Action} a custom step needs.
 */
final class StatsRow implements ActionBuilder {

    /** What {@link #execute} logs: a row name, OK or not, a message for a KO, and the response time. */
    record Row(String name, boolean ok, String message, long startMillis, long endMillis) {
    }

    private final BiFunction<io.gatling.javaapi.core.Session, Long, Row> row;

    /** @param row from the session and the clock's now (epoch ms): the row to log, or null for none */
    StatsRow(BiFunction<io.gatling.javaapi.core.Session, Long, Row> row) {
        this.row = row;
    }

    @Override
    public io.gatling.core.action.builder.ActionBuilder asScala() {
        return (ScenarioContext ctx, Action next) -> new LogRow(ctx.coreComponents().statsEngine(),
                ctx.coreComponents().clock(), next, row);
    }

    private static final class LogRow implements Action {
        private static final com.typesafe.scalalogging.Logger LOGGER =
                com.typesafe.scalalogging.Logger$.MODULE$.apply(LoggerFactory.getLogger(StatsRow.class));

        private final StatsEngine stats;
        private final io.gatling.commons.util.Clock clock;
        private final Action next;
        private final BiFunction<io.gatling.javaapi.core.Session, Long, Row> row;

        LogRow(StatsEngine stats, io.gatling.commons.util.Clock clock, Action next,
                BiFunction<io.gatling.javaapi.core.Session, Long, Row> row) {
            this.stats = stats;
            this.clock = clock;
            this.next = next;
            this.row = row;
        }

        @Override
        public String name() {
            return "stats-row";
        }

        @Override
        public void execute(Session session) {
            io.gatling.javaapi.core.Session s = new io.gatling.javaapi.core.Session(session);
            Row r = row.apply(s, clock.nowMillis());
            if (r != null) {
                stats.logResponse(session.scenario(), session.groups(), r.name(), r.startMillis(), r.endMillis(),
                        r.ok() ? OK$.MODULE$ : KO$.MODULE$, Option.empty(),
                        r.ok() ? Option.empty() : Option.apply(r.message()));
            }
            // the row stands for the request: a failed request is counted here, not left to fail the user
            next.execute(s.markAsSucceeded().asScala());
        }

        @Override
        public com.typesafe.scalalogging.Logger logger() {
            return LOGGER;
        }

        @Override
        public void com$typesafe$scalalogging$StrictLogging$_setter_$logger_$eq(com.typesafe.scalalogging.Logger l) {
            // the logger is a constant
        }
    }
}
