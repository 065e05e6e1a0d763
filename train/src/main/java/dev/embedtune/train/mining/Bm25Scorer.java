package dev.embedtune.train.mining;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.ByteBuffersDirectory;

/**
 * BM25 over the corpus with Lucene (k1 1.2, b 0.75, Lucene's defaults) in memory. Texts go through
 * Lucene's StandardAnalyzer (Unicode word breaks, lower case, no stop words): the queries here are
 * short headwords, for which stemming would merge distinct terms. A query is the OR of its
 * analysed terms, built directly (no query parser, so any text is a valid query).
 */
public final class Bm25Scorer implements Scorer {
    private static final String FIELD = "text";
    private final Analyzer analyzer = new StandardAnalyzer();
    private final IndexSearcher searcher;

    public Bm25Scorer(List<String> corpus) {
        try {
            ByteBuffersDirectory dir = new ByteBuffersDirectory();
            IndexWriterConfig config = new IndexWriterConfig(analyzer).setSimilarity(new BM25Similarity());
            try (IndexWriter writer = new IndexWriter(dir, config)) {
                for (String text : corpus) {
                    Document doc = new Document();
                    doc.add(new TextField(FIELD, text, Field.Store.NO));
                    writer.addDocument(doc);   // doc id = corpus index: added in order, one segment after merge
                }
                writer.forceMerge(1);
            }
            searcher = new IndexSearcher(DirectoryReader.open(dir));
            searcher.setSimilarity(new BM25Similarity());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Query query(String text) {
        Set<String> terms = new LinkedHashSet<>();
        try (TokenStream ts = analyzer.tokenStream(FIELD, text)) {
            CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken() && terms.size() < IndexSearcher.getMaxClauseCount()) {
                terms.add(term.toString());
            }
            ts.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        terms.forEach(t -> b.add(new TermQuery(new Term(FIELD, t)), BooleanClause.Occur.SHOULD));
        return b.build();
    }

    @Override
    public List<Ranked[]> topK(List<String> queries, int k) {
        List<Ranked[]> out = new ArrayList<>(queries.size());
        try {
            for (String q : queries) {
                ScoreDoc[] hits = searcher.search(query(q), k).scoreDocs;
                Ranked[] r = new Ranked[hits.length];
                for (int i = 0; i < hits.length; i++) {
                    r[i] = new Ranked(hits[i].doc, hits[i].score);
                }
                out.add(r);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    @Override
    public double score(String query, int corpusIndex) {
        try {
            return searcher.explain(query(query), corpusIndex).getValue().doubleValue();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
