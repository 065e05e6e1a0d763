package dev.embedtune.cli;

import dev.embedtune.model.NonFiniteEmbeddingException;
import dev.embedtune.tokenizer.TokenizerFormatException;
import dev.embedtune.train.data.DatasetFormatException;
import dev.embedtune.train.trainer.NonFiniteLossException;
import dev.embedtune.train.trainer.TrainingCollapsedException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * How every command reports a failure: a user's error (a bad file, option, setting or model; a
 * diverged or collapsed training run; a full disk) is one line on stderr,
 * {@code embedtune COMMAND: message}, naming the file, line or key, with exit code 1 (2 for a bad
 * command line, as picocli's usage errors); the Java stack trace only with {@code --verbose}. Anything
 * else is a bug in embedtune: its trace is printed, with a line saying so, and the exit code is 70
 * (BSD's EX_SOFTWARE).
 *
 * <p>What counts as the user's: I/O errors ({@code IOException}, which the readers give with the file
 * named: {@code ModelFormatException}, ONNX and safetensors format errors, not-UTF-8 text, a missing
 * file, a full disk), {@link DatasetFormatException}, {@link TokenizerFormatException}, a non-finite
 * embedding, loss or gradient, a collapsed run, and an {@code IllegalArgumentException} thrown by
 * embedtune's own validation (one from a library frame, e.g. {@code Integer.parseInt}, is a check
 * embedtune missed: a bug).
 */
final class ErrorHandler implements IExecutionExceptionHandler, IParameterExceptionHandler {

    /** The exit code of a bug (BSD sysexits' EX_SOFTWARE). */
    static final int BUG = 70;

    @Override
    public int handleExecutionException(Exception ex, CommandLine cli, ParseResult parsed) {
        PrintWriter err = cli.getErr();
        String message = userMessage(ex);
        if (message == null) {
            err.println(prefix(cli) + "internal error: " + ex);
            ex.printStackTrace(err);
            err.println(prefix(cli) + "this is a bug in embedtune; please report it with the lines above");
            err.flush();
            return BUG;
        }
        if (verbose(parsed)) {
            ex.printStackTrace(err);
        }
        err.println(prefix(cli) + message);
        err.flush();
        return 1;
    }

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cli = ex.getCommandLine();
        PrintWriter err = cli.getErr();
        String hint = "";
        if (ex instanceof UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            hint = "; did you mean " + String.join(" or ", u.getSuggestions()) + "?";
        }
        if (verbose(cli.getParseResult())) {
            ex.printStackTrace(err);
        }
        err.println(prefix(cli) + oneLine(ex.getMessage()) + hint + " (see '" + cli.getCommandSpec().qualifiedName() + " --help')");
        err.flush();
        return cli.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** The one line a user's error gets, or null when {@code e} is a bug. */
    static String userMessage(Throwable e) {
        if (e instanceof UncheckedIOException u && u.getCause() != null) {
            String own = u.getMessage();
            boolean wrapped = own == null || own.equals(u.getCause().toString());   // new UncheckedIOException(cause)
            return wrapped ? userMessage(u.getCause()) : oneLine(own);
        }
        if (e instanceof NoSuchFileException n) {
            return n.getFile() + ": no such file or directory" + (n.getReason() == null ? "" : " (" + n.getReason() + ")");
        }
        if (e instanceof AccessDeniedException a) {
            return a.getFile() + ": permission denied" + (a.getReason() == null ? "" : " (" + a.getReason() + ")");
        }
        if (e instanceof NotDirectoryException n) {
            return n.getFile() + ": not a directory";
        }
        if (e instanceof FileSystemException f && f.getFile() != null && (f.getMessage() == null
                || f.getMessage().startsWith(f.getFile()))) {
            return oneLine(f.getMessage() == null ? f.getFile() + ": " + f.getClass().getSimpleName() : f.getMessage());
        }
        if (e instanceof IOException || e instanceof DatasetFormatException || e instanceof TokenizerFormatException
                || e instanceof NonFiniteEmbeddingException || e instanceof NonFiniteLossException
                || e instanceof TrainingCollapsedException) {
            return oneLine(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
        if (e instanceof IllegalArgumentException && e.getMessage() != null && thrownByEmbedtune(e)) {
            return oneLine(e.getMessage());
        }
        return null;
    }

    private static boolean thrownByEmbedtune(Throwable e) {
        StackTraceElement[] trace = e.getStackTrace();
        return trace.length > 0 && trace[0].getClassName().startsWith("dev.embedtune.");
    }

    /** Messages are single lines; a wrapped parser message may hold a newline and a source excerpt. */
    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    private static String prefix(CommandLine cli) {
        return cli.getCommandSpec().qualifiedName() + ": ";
    }

    /** Whether {@code --verbose} was given anywhere on the command line. */
    private static boolean verbose(ParseResult parsed) {
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }
}
