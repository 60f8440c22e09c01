package io.sluice.runtime.source;

import java.util.ArrayList;
import java.util.List;

/**
 * The dimension rows behind {@link WrongbookEvents}' ids, derived from each id alone: {@code
 * subject(subject_id, name)}, {@code question(question_id, subject_id, chapter, knowledge_point,
 * difficulty)} and {@code user(user_id, grade, school)}; as SQL INSERT statements that MariaDB,
 * MySQL and PostgreSQL all take. The tables' DDL is in {@code examples/wrongbook/ddl/}.
 */
public final class WrongbookDimensions {
    static final String[] SUBJECTS = {
        "math", "chinese", "english", "physics", "chemistry", "biology", "history", "geography"
    };

    private WrongbookDimensions() {}

    /** Subject of question {@code q} (1-based). */
    public static String subjectOf(int q) {
        return "s-" + (1 + q % SUBJECTS.length);
    }

    public static String subjectName(String subjectId) {
        return SUBJECTS[Integer.parseInt(subjectId.substring(2)) - 1];
    }

    public static String chapterOf(int q) {
        return "ch-" + (1 + q % 20);
    }

    public static String knowledgePointOf(int q) {
        return "kp-" + (1 + q % 150);
    }

    public static int difficultyOf(int q) {
        return 1 + (q * 7) % 5;
    }

    public static int gradeOf(int u) {
        return 7 + u % 6;
    }

    public static String schoolOf(int u) {
        return WrongbookEvents.TENANTS[u % 2];
    }

    /** INSERT statements for every subject, question and user the events use. */
    public static List<String> inserts() {
        List<String> out = new ArrayList<>();
        for (int s = 1; s <= SUBJECTS.length; s++) {
            out.add(
                    "INSERT INTO subject (subject_id, name) VALUES ('s-"
                            + s
                            + "', '"
                            + SUBJECTS[s - 1]
                            + "')");
        }
        StringBuilder q = new StringBuilder();
        for (int i = 1; i <= WrongbookEvents.QUESTIONS; i++) {
            q.append(
                            q.length() == 0
                                    ? "INSERT INTO question (question_id, subject_id, chapter,"
                                            + " knowledge_point, difficulty) VALUES "
                                    : ", ")
                    .append("('q-")
                    .append(i)
                    .append("', '")
                    .append(subjectOf(i))
                    .append("', '")
                    .append(chapterOf(i))
                    .append("', '")
                    .append(knowledgePointOf(i))
                    .append("', ")
                    .append(difficultyOf(i))
                    .append(")");
            if (i % 500 == 0 || i == WrongbookEvents.QUESTIONS) {
                out.add(q.toString());
                q.setLength(0);
            }
        }
        StringBuilder u = new StringBuilder();
        for (int i = 1; i <= WrongbookEvents.USERS; i++) {
            u.append(
                            u.length() == 0
                                    ? "INSERT INTO app_user (user_id, grade, school) VALUES "
                                    : ", ")
                    .append("('u-")
                    .append(i)
                    .append("', ")
                    .append(gradeOf(i))
                    .append(", '")
                    .append(schoolOf(i))
                    .append("')");
            if (i % 500 == 0 || i == WrongbookEvents.USERS) {
                out.add(u.toString());
                u.setLength(0);
            }
        }
        return out;
    }
}
