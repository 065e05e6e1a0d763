package dev.embedtune.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Maps byte-level chars back to bytes and decodes them as UTF-8 (invalid sequences become U+FFFD).
 * A token with a char outside the byte map (an added token such as "<|endoftext|>") contributes
 * its own UTF-8 bytes, as in Hugging Face.
 */
record ByteLevelDecoder() implements Decoder {
    @Override
    public String decode(List<String> tokens) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (String t : tokens) {
            boolean mappable = true;
            for (int i = 0; i < t.length() && mappable; i++) {
                char c = t.charAt(i);
                mappable = c < ByteLevel.CHAR_TO_BYTE.length && ByteLevel.CHAR_TO_BYTE[c] >= 0;
            }
            if (mappable) {
                for (int i = 0; i < t.length(); i++) bytes.write(ByteLevel.CHAR_TO_BYTE[t.charAt(i)]);
            } else {
                bytes.writeBytes(t.getBytes(StandardCharsets.UTF_8));
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
