package dev.embedtune.app.hpo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code running/<id>.json}: a trial that was claimed and has not finished. It holds what another
 * process needs: the settings (to re-run the trial if its runner died), the owner and heartbeat (to
 * tell whether it died, {@link Worker#isGone}), and the intermediate reports so far (which other
 * trials' rung decisions compare with). Rewritten atomically under the study lock on each report and
 * heartbeat; deleted once {@code trials/<id>.json} is written.
 *
 * @param token identifies this run of the trial (a fresh UUID per attempt), so a runner can tell that
 *              its claim was taken over
 */
public record RunningMarker(int id, int attempt, TrialSettings settings, Worker worker, String token,
                            Instant started, Instant heartbeat, List<Intermediate> intermediate) {

    public RunningMarker {
        intermediate = List.copyOf(intermediate);
    }

    public RunningMarker withHeartbeat(Instant now) {
        return new RunningMarker(id, attempt, settings, worker, token, started, now, intermediate);
    }

    public RunningMarker withReport(Intermediate report, Instant now) {
        List<Intermediate> reports = new ArrayList<>(intermediate);
        reports.add(report);
        return new RunningMarker(id, attempt, settings, worker, token, started, now, reports);
    }

    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("id", id);
        o.put("attempt", attempt);
        o.set("settings", settings.toJson());
        o.put("host", worker.host());
        o.put("pid", worker.pid());
        o.put("process_start", worker.processStart());
        o.put("token", token);
        o.put("started", started.toString());
        o.put("heartbeat", heartbeat.toString());
        ArrayNode reports = o.putArray("intermediate");
        for (Intermediate r : intermediate) {
            ObjectNode e = reports.addObject();
            e.put("resource", r.resource());
            TrialRecord.putNumber(e, "score", r.score());
        }
        return o;
    }

    public static RunningMarker fromJson(JsonNode o, SearchSpace space, String source) {
        List<Intermediate> reports = new ArrayList<>();
        JsonNode r = o.path("intermediate");
        for (int i = 0; i < r.size(); i++) {
            reports.add(new Intermediate(TrialRecord.integer(r.get(i), "resource", source, "intermediate[" + i + "]"),
                    TrialRecord.number(r.get(i).get("score"), source, "intermediate[" + i + "].score")));
        }
        Worker worker = new Worker(TrialRecord.text(o, "host", source), TrialRecord.integer(o, "pid", source, ""),
                TrialRecord.integer(o, "process_start", source, ""));
        return new RunningMarker((int) TrialRecord.integer(o, "id", source, ""), (int) TrialRecord.integer(o, "attempt", source, ""),
                space.decodeSettings(o.path("settings"), source, "settings"), worker, TrialRecord.text(o, "token", source),
                TrialRecord.instant(o, "started", source), TrialRecord.instant(o, "heartbeat", source), reports);
    }
}
