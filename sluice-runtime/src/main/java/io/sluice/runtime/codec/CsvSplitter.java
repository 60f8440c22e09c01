package io.sluice.runtime.codec;

import java.util.ArrayList;
import java.util.List;

/** Splits one CSV line (RFC 4180 quoting, doubled quotes inside quotes). */
public final class CsvSplitter {
    private CsvSplitter() {}

    /** Thrown for a line that is not valid CSV; the message says where. */
    public static final class MalformedCsv extends Exception {
        public MalformedCsv(String message) {
            super(message);
        }
    }

    public static List<String> split(String line, char delimiter) throws MalformedCsv {
        List<String> out = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        int i = 0;
        int n = line.length();
        while (true) {
            cell.setLength(0);
            if (i < n && line.charAt(i) == '"') {
                int start = i;
                i++;
                while (true) {
                    if (i >= n) {
                        throw new MalformedCsv(
                                "unterminated quote opened at column " + (start + 1));
                    }
                    char c = line.charAt(i);
                    if (c == '"') {
                        if (i + 1 < n && line.charAt(i + 1) == '"') {
                            cell.append('"');
                            i += 2;
                        } else {
                            i++;
                            break;
                        }
                    } else {
                        cell.append(c);
                        i++;
                    }
                }
                if (i < n && line.charAt(i) != delimiter) {
                    throw new MalformedCsv("text after closing quote at column " + (i + 1));
                }
            } else {
                while (i < n && line.charAt(i) != delimiter) {
                    char c = line.charAt(i);
                    if (c == '"') {
                        throw new MalformedCsv("stray quote at column " + (i + 1));
                    }
                    cell.append(c);
                    i++;
                }
            }
            out.add(cell.toString());
            if (i >= n) {
                return out;
            }
            i++; // delimiter
        }
    }
}
