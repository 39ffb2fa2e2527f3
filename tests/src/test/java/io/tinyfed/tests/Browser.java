package io.tinyfed.tests;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A headless Chromium driven by Selenium WebDriver through Debian's {@code chromium} and {@code chromium-driver}
 * (nothing is downloaded): each test's browser, with bounded waits and a screenshot per named step under
 * {@code target/dashboard/}. Tests that need it are skipped, with what to install, where the packages are missing.
 */
final class Browser implements AutoCloseable {
    static final Path CHROMIUM = Path.of(System.getProperty("tinyfed.chromium", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getProperty("tinyfed.chromedriver", "/usr/bin/chromedriver"));
    static final Path SCREENSHOTS = Path.of("target", "dashboard");
    private static final Duration WAIT = Duration.ofSeconds(60);

    private final ChromeDriver driver;

    private Browser(ChromeDriver driver) {
        this.driver = driver;
    }

    /** A new headless browser window of a laptop's size; the test is skipped when Chromium is not installed. */
    static Browser open() {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "no Chromium: apt-get install chromium chromium-driver (what .ci/run installs)");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1366,1050", "--no-first-run", "--disable-extensions", "--disable-background-networking");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, java.util.logging.Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(WAIT).scriptTimeout(WAIT);
        return new Browser(driver);
    }

    WebDriver driver() {
        return driver;
    }

    void get(String url) {
        driver.get(url);
    }

    WebElement find(String id) {
        return driver.findElement(By.id(id));
    }

    List<WebElement> all(String css) {
        return driver.findElements(By.cssSelector(css));
    }

    String text(String id) {
        return find(id).getText();
    }

    /** Waits (at most a minute) until {@code condition} holds, and returns its value. */
    <T> T until(String what, Function<WebDriver, T> condition) {
        return new WebDriverWait(driver, WAIT).withMessage(what).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                .until(condition);
    }

    /** One column of a table's body, read in one step (a live page re-renders its tables between two reads). */
    @SuppressWarnings("unchecked")
    List<String> column(String tableId, int column) {
        return (List<String>) driver.executeScript("return Array.from(document.querySelectorAll('#' + arguments[0] "
                + "+ ' tbody tr')).map(r => r.cells[arguments[1]] ? r.cells[arguments[1]].textContent.trim() : '')",
                tableId, column);
    }

    Object script(String js, Object... args) {
        return driver.executeScript(js, args);
    }

    /** Saves what the window shows as {@code target/dashboard/NAME.png}, and returns the file. */
    Path screenshot(String name) {
        try {
            Files.createDirectories(SCREENSHOTS);
            Path file = SCREENSHOTS.resolve(name + ".png");
            driver.executeScript("window.scrollTo(0, 0)");
            Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What the page wrote to its console, for a failing test's output. */
    String console() {
        StringBuilder out = new StringBuilder();
        for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
            out.append(e.getLevel()).append(' ').append(e.getMessage()).append('\n');
        }
        return out.toString();
    }

    @Override
    public void close() {
        driver.quit();
    }
}
